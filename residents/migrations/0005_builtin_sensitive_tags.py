"""Flag the built-in tags that say something a resident may not want known (PIPL art. 28:
health, as 残疾人; finances, as 低保/困难户 and 失业; 优抚对象, a family's military
service). Districts flag their own tags in the admin."""

from __future__ import annotations

from django.db import migrations

SENSITIVE_CODES = ["disabled", "low_income", "special_care", "unemployed"]


def flag(apps, schema_editor) -> None:
    apps.get_model("residents", "Tag").objects.filter(
        code__in=SENSITIVE_CODES, builtin=True
    ).update(sensitive=True)


def unflag(apps, schema_editor) -> None:
    apps.get_model("residents", "Tag").objects.filter(
        code__in=SENSITIVE_CODES, builtin=True
    ).update(sensitive=False)


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0004_sensitive_tags_moved_out_list_log"),
    ]

    operations = [
        migrations.RunPython(flag, unflag),
    ]
