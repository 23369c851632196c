"""The periodic tasks the data migrations schedule (gridgov.beat_schedules): each names a
task Celery knows, and runs as often as its work needs."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from gridgov.celery import app

pytestmark = pytest.mark.django_db

EVERY = {  # name → (task, interval or crontab (minute, hour, timezone))
    "SLA scanner": ("workflows.scan_sla", (1, "minutes")),
    "After-intake catch-up": ("workflows.follow_up_intakes", (1, "minutes")),
    "Integrity scan": ("integrity.scan_recent", (30, "minutes")),
    "Assessment rollup (nightly)": ("assessment.roll_up_recent", ("20", "0", "Asia/Shanghai")),
    "Personal data retention (daily)": (
        "residents.apply_retention",
        ("40", "3", "Asia/Shanghai"),
    ),
}


def test_every_schedule_is_there_and_names_a_registered_task():
    app.loader.import_default_modules()  # the tasks modules, as a worker loads them
    tasks = {t.name: t for t in PeriodicTask.objects.select_related("interval", "crontab")}
    assert set(EVERY) <= set(tasks)
    for name, (task_name, when) in EVERY.items():
        task = tasks[name]
        assert task.task == task_name and task.enabled, name
        assert task_name in app.tasks, name
        if task.interval:
            assert (task.interval.every, task.interval.period) == when, name
        else:
            crontab = task.crontab
            assert (crontab.minute, crontab.hour, str(crontab.timezone)) == when, name
