"""Beat schedules that data migrations write into django-celery-beat's tables (editable in
the admin afterwards): one place for the steps every schedule migration shares.

``beat_schedule(...)`` is a migration operation: it creates the periodic task if no task
has that name (so an admin's edits survive a re-run), tells a running beat (the
DatabaseScheduler) that the schedule changed, and on reversal deletes the task (the interval
or crontab row may be shared, so it stays). It uses the migration's historical models only.
"""

from __future__ import annotations

from functools import partial

from django.db import migrations
from django.utils import timezone


def beat_schedule(
    *,
    name: str,
    task: str,
    description: str,
    expire_seconds: int,
    interval: tuple[int, str] | None = None,
    crontab: dict[str, str] | None = None,
) -> migrations.RunPython:
    """Run ``task`` every ``interval`` (``(every, period)``, e.g. ``(1, "minutes")``) or on
    ``crontab`` (CrontabSchedule fields). ``expire_seconds``: a run that waited longer in
    the queue is dropped; the next one does its work."""
    if (interval is None) == (crontab is None):
        raise ValueError("give an interval or a crontab")
    create = partial(
        _create,
        name=name,
        task=task,
        description=description,
        expire_seconds=expire_seconds,
        interval=interval,
        crontab=crontab,
    )
    return migrations.RunPython(create, partial(_remove, name=name, task=task))


def _create(apps, schema_editor, *, name, task, description, expire_seconds, interval, crontab):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if interval is not None:
        every, period = interval
        schedule = {
            "interval": apps.get_model(
                "django_celery_beat", "IntervalSchedule"
            ).objects.get_or_create(every=every, period=period)[0]
        }
    else:
        schedule = {
            "crontab": apps.get_model(
                "django_celery_beat", "CrontabSchedule"
            ).objects.get_or_create(**crontab)[0]
        }
    PeriodicTask.objects.get_or_create(
        name=name,
        defaults={
            "task": task,
            "enabled": True,
            "expire_seconds": expire_seconds,
            "description": description,
            **schedule,
        },
    )
    _tell_beat(apps)


def _remove(apps, schema_editor, *, name, task):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=name, task=task
    ).delete()
    _tell_beat(apps)


def _tell_beat(apps) -> None:
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )
