"""Celery tasks of the care app: the daily sweep that writes plans' tasks ahead (beat,
migration 0002)."""

from __future__ import annotations

from celery import shared_task

from gridgov.task_options import RETRYING

from .services import extend_plans


@shared_task(
    name="care.extend_care_plans",
    # Safe to run twice: a task per (plan, day) at most.
    **RETRYING,
    soft_time_limit=1800,
    time_limit=1860,
)
def extend_care_plans() -> int:
    """Write every running plan's tasks up to the horizon; returns how many were written."""
    return extend_plans()
