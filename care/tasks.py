"""Celery tasks of the care app: the daily sweep that writes plans' tasks ahead (beat,
migration 0002)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from .services import extend_plans


@shared_task(
    name="care.extend_care_plans",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    # Safe to run twice: a task per (plan, day) at most.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=1800,
    time_limit=1860,
)
def extend_care_plans() -> int:
    """Write every running plan's tasks up to the horizon; returns how many were written."""
    return extend_plans()
