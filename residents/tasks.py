"""Celery tasks of the residents app: the daily retention run (beat, migration 0007)."""

from __future__ import annotations

from celery import shared_task

from gridgov.task_options import RETRYING

from .retention import run_retention


@shared_task(
    name="residents.apply_retention",
    # Safe to run twice: erasing leaves nothing due.
    **RETRYING,
    soft_time_limit=1800,
    time_limit=1860,
)
def apply_retention() -> dict[str, int]:
    """Apply every registered retention rule; returns how many records each erased."""
    return {outcome.rule.name: outcome.count for outcome in run_retention(dry_run=False)}
