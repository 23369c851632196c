"""The SLA scanner's beat schedule: ``workflows.scan_sla`` every minute (DESIGN §4)."""

from django.db import migrations

from gridgov.beat_schedules import beat_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0003_notification"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_schedule(
            name="SLA scanner",
            task="workflows.scan_sla",
            interval=(1, "minutes"),
            expire_seconds=60,
            description="催办/超期/督办: reminders, overdue marks and escalation.",
        )
    ]
