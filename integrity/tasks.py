"""The periodic integrity scan (beat, every 30 minutes; see migration 0002)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from gridgov.task_options import RETRYING

from .conf import setting
from .services import run_rules


@shared_task(
    name="integrity.scan_recent",
    # Every 30 minutes, so a shorter backoff than the nightly sweeps'.
    **(RETRYING | {"retry_backoff_max": 300, "retry_jitter": True}),
    soft_time_limit=600,
    time_limit=660,
)
def scan_recent(days: float | None = None) -> dict[str, dict]:
    """Run every rule over the last ``days`` (default ``INTEGRITY_SCAN_DAYS``, 2: runs
    overlap, so a missed or failed run loses nothing). Idempotent: a finding is stored once
    per rule and case, so a repeated delivery adds nothing."""
    days = float(days if days is not None else setting("INTEGRITY_SCAN_DAYS"))
    return run_rules(since=timezone.now() - timedelta(days=days))
