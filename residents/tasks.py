"""Celery tasks of the residents app: the daily retention run (beat, migration 0007)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from .retention import run_retention


@shared_task(
    name="residents.apply_retention",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    # Safe to run twice: erasing leaves nothing due.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=1800,
    time_limit=1860,
)
def apply_retention() -> dict[str, int]:
    """Apply every registered retention rule; returns how many records each erased."""
    return {outcome.rule.name: outcome.count for outcome in run_retention(dry_run=False)}
