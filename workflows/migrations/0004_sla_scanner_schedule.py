"""The SLA scanner's beat schedule: ``workflows.scan_sla`` every minute (DESIGN §4).

Idempotent (get_or_create) and reversible. ``expire_seconds``: a scan that waited in the
queue longer than its interval is dropped, the next one does its work.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "SLA scanner"
TASK = "workflows.scan_sla"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute, _created = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": every_minute,
            "enabled": True,
            "expire_seconds": 60,
            "description": "催办/超期/督办: reminders, overdue marks and escalation.",
        },
    )
    # Tell a running beat (DatabaseScheduler) that the schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME, task=TASK).delete()
    # The interval row may be shared with other tasks: leave it.


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0003_notification"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
