"""The after-intake sweep's beat schedule: ``workflows.follow_up_intakes`` every minute.

Intakes queue this sweep themselves within a second; the schedule catches up whatever a broker
outage left marked ``intake_pending``. Idempotent (get_or_create) and reversible.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "After-intake catch-up"
TASK = "workflows.follow_up_intakes"


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
            "description": "新案件: street staff's notice and duplicate flags of new cases "
            "the intake's own sweep did not reach.",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0004_sla_scanner_schedule"),
        ("cases", "0009_intake_pending"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
