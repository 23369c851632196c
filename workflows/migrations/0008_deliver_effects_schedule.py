"""The outbox's beat schedule: ``workflows.deliver_effects`` every minute.

Commits that record effects queue this sweep themselves within a second; the schedule
catches up whatever a broker outage left in the outbox.
"""

from django.db import migrations

from gridgov.beat_schedules import beat_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0007_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_schedule(
            name="Outbox catch-up",
            task="workflows.deliver_effects",
            interval=(1, "minutes"),
            expire_seconds=60,
            description="待发送: auto-dispatch, notices, emails and messages to residents "
            "that the sweep queued after their commit did not reach (a broker outage).",
        )
    ]
