"""Celery tasks of the closed loop. Tasks take ids, are idempotent and call services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="gridgov.ping", soft_time_limit=5, time_limit=10)
def ping(token: str) -> str:
    """Echo a token back: proves a worker consumes from the configured broker (health checks,
    the integration test)."""
    return f"pong:{token}"
