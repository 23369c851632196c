"""The integrity scan's beat schedule: ``integrity.scan_recent`` every 30 minutes.

Idempotent (get_or_create) and reversible; edit or pause it in the admin (django-celery-beat).
``expire_seconds``: a scan that waited longer than its interval is dropped; the next one
covers the same days.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "Integrity scan"
TASK = "integrity.scan_recent"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every, _created = IntervalSchedule.objects.get_or_create(every=30, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": every,
            "enabled": True,
            "expire_seconds": 1800,
            "description": "诚信核查: near-duplicates, reused photos, verifications, bursts, "
            "unchecked self-resolves (flags for review only).",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrity", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
