"""Celery tasks of the assessment: the daily rollups (idempotent, re-runnable for any day)
and the open-case tally's compaction."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from gridgov.task_options import RETRYING

from . import tally
from .rollups import roll_up_day


@shared_task(name="assessment.roll_up_day", soft_time_limit=600, time_limit=660, **RETRYING)
def roll_up_day_task(day: str) -> int:
    """Replace the rollup rows of ``day`` (``YYYY-MM-DD``, local) and its month's. Running it
    twice leaves the same rows. Returns the number of cell rows written."""
    return roll_up_day(date.fromisoformat(day)).cell_rows


@shared_task(name="assessment.roll_up_recent", soft_time_limit=1200, time_limit=1260, **RETRYING)
def roll_up_recent(days: int = 2) -> list[str]:
    """Nightly (beat): roll up the last ``days`` finished days — yesterday, and the day before
    again so ratings and corrections that came in late are counted."""
    today = timezone.localdate()
    done = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        roll_up_day(day)
        done.append(day.isoformat())
    return done


@shared_task(name="assessment.compact_open_tally", soft_time_limit=50, time_limit=60, **RETRYING)
def compact_open_tally() -> int:
    """Every minute (beat): fold the open-case tally's appended rows (``tally.compact``)."""
    return tally.compact()
