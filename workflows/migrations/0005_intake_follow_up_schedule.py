"""The after-intake sweep's beat schedule: ``workflows.follow_up_intakes`` every minute.

Intakes queue this sweep themselves within a second; the schedule catches up whatever a broker
outage left marked ``intake_pending``.
"""

from django.db import migrations

from gridgov.beat_schedules import beat_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0004_sla_scanner_schedule"),
        ("cases", "0009_intake_pending"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_schedule(
            name="After-intake catch-up",
            task="workflows.follow_up_intakes",
            interval=(1, "minutes"),
            expire_seconds=60,
            description="新案件: street staff's notice and duplicate flags of new cases "
            "the intake's own sweep did not reach.",
        )
    ]
