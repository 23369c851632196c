"""Built-in specialties of functional workers (功能性网格员, DESIGN §1, §8); districts add their
own in the admin."""

from __future__ import annotations

from django.db import migrations

BUILTIN_SPECIALTIES = [
    ("education", "教育"),
    ("health", "医疗"),
    ("elderly_care", "养老"),
    ("disability", "助残"),
    ("relief", "救助"),
    ("child_care", "儿童关爱"),
    ("employment", "就业"),
    ("mediation", "调解"),
    ("veterans", "优抚"),
]


def create_specialties(apps, schema_editor) -> None:
    Specialty = apps.get_model("grids", "Specialty")
    for order, (code, name) in enumerate(BUILTIN_SPECIALTIES, start=1):
        Specialty.objects.update_or_create(
            code=code, defaults={"name": name, "sort_order": order * 10}
        )


def remove_specialties(apps, schema_editor) -> None:
    Specialty = apps.get_model("grids", "Specialty")
    Specialty.objects.filter(code__in=[code for code, _ in BUILTIN_SPECIALTIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("grids", "0002_func_specialty")]

    operations = [migrations.RunPython(create_specialties, remove_specialties)]
