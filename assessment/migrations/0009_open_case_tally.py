"""The open-case tally and the triggers that keep it (``assessment.tally``), counted once
from the cases already there; and its compaction every minute."""

from django.db import migrations, models

from gridgov.beat_schedules import beat_schedule


def install(apps, schema_editor):
    from assessment import tally

    tally.install(schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    from assessment import tally

    tally.uninstall(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0008_joint_arrival_rollups"),
        ("grids", "0003_func_builtin_specialties"),
        ("cases", "0021_fixjoint_part_deadlines"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenCaseTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("street_id", models.BigIntegerField()),
                ("late_day", models.DateField(null=True)),
                ("n", models.IntegerField()),
            ],
            options={
                "verbose_name": "open case tally (在办案件计数)",
                "verbose_name_plural": "open case tallies (在办案件计数)",
            },
        ),
        migrations.RunPython(install, uninstall),
        beat_schedule(
            name="Open-case tally compaction",
            task="assessment.compact_open_tally",
            interval=(1, "minutes"),
            expire_seconds=120,
            description="在办案件计数: fold the open-case tally's appended rows, one per key.",
        ),
    ]
