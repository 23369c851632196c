"""Built-in service tags (DESIGN §3). 老年人 is derived from the birth date, not stored."""

from __future__ import annotations

from django.db import migrations

BUILTIN_TAGS = [
    ("elderly_alone", "独居老人"),
    ("child", "儿童"),
    ("disabled", "残疾人"),
    ("low_income", "低保/困难户"),
    ("special_care", "优抚对象"),
    ("unemployed", "失业"),
]


def create_builtin_tags(apps, schema_editor) -> None:
    Tag = apps.get_model("residents", "Tag")
    for code, name in BUILTIN_TAGS:
        # update_or_create: a district may already have made a tag with this code by hand.
        Tag.objects.update_or_create(code=code, defaults={"name": name, "builtin": True})


def remove_builtin_tags(apps, schema_editor) -> None:
    Tag = apps.get_model("residents", "Tag")
    Tag.objects.filter(code__in=[code for code, _ in BUILTIN_TAGS], builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_builtin_tags, remove_builtin_tags),
    ]
