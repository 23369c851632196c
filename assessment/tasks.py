"""Celery tasks of the assessment: the daily rollups (idempotent, re-runnable for any day)."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .rollups import roll_up_day

_RETRYING = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(name="assessment.roll_up_day", soft_time_limit=600, time_limit=660, **_RETRYING)
def roll_up_day_task(day: str) -> int:
    """Replace the rollup rows of ``day`` (``YYYY-MM-DD``, local) and its month's. Running it
    twice leaves the same rows. Returns the number of cell rows written."""
    return roll_up_day(date.fromisoformat(day)).cell_rows


@shared_task(name="assessment.roll_up_recent", soft_time_limit=1200, time_limit=1260, **_RETRYING)
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
