"""Default grading schemes (DESIGN §5): one standard set for dense urban communities and a
gentler one — lower targets, same grade thresholds — for urban-fringe villages (城郊边缘型)
and migrant-heavy communities (流动人口聚居型), where patrols cover more ground and the
reporters move away before a callback. Editable in the admin afterwards; idempotent."""

from django.db import migrations

STANDARD = {
    "weight_closing": 25,
    "weight_on_time": 25,
    "weight_rework": 15,
    "weight_satisfaction": 20,
    "weight_self_discovery": 15,
    "target_closing": "0.980",
    "target_on_time": "0.950",
    "target_rework": "0.950",
    "target_satisfaction": "0.950",
    "target_self_discovery": "0.900",
}
GENTLE = {
    **STANDARD,
    "target_closing": "0.920",
    "target_on_time": "0.850",
    "target_rework": "0.900",
    "target_satisfaction": "0.850",
    "target_self_discovery": "0.750",
}
TYPES = {
    "": ("标准 standard (default)", STANDARD),
    "work_unit": ("单位型 standard", STANDARD),
    "neighbourhood": ("街坊型 standard", STANDARD),
    "commercial": ("商品房物业型 standard", STANDARD),
    "mixed": ("混合型 standard", STANDARD),
    "ethnic_cultural": ("民族宗教文化型 standard", STANDARD),
    "fringe": ("城郊边缘型 gentler", GENTLE),
    "migrant": ("流动人口聚居型 gentler", GENTLE),
}


def create(apps, schema_editor):
    GradingScheme = apps.get_model("assessment", "GradingScheme")
    for community_type, (name, values) in TYPES.items():
        GradingScheme.objects.get_or_create(
            community_type=community_type, defaults={"name": name, **values}
        )


def remove(apps, schema_editor):
    GradingScheme = apps.get_model("assessment", "GradingScheme")
    GradingScheme.objects.filter(community_type__in=list(TYPES)).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
