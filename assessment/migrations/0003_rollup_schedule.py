"""The nightly rollup (``assessment.roll_up_recent`` at 00:20 Asia/Shanghai): rolls up
yesterday and re-rolls the day before (late ratings and corrections land in a rerun).
Idempotent (get_or_create) and reversible."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "Assessment rollup (nightly)"
TASK = "assessment.roll_up_recent"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    nightly, _created = CrontabSchedule.objects.get_or_create(
        minute="20",
        hour="0",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": nightly,
            "enabled": True,
            "expire_seconds": 6 * 3600,
            "description": "考核日汇总: daily indicator rollups for yesterday and the day before.",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0002_default_schemes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
