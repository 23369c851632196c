"""Celery tasks of the closed loop. Tasks take ids, are idempotent and call services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import OperationalError

from cases.models import Case, CaseStatus
from cases.selectors import route_for

from .errors import TransitionNotAllowed
from .services import dispatch_case

logger = logging.getLogger(__name__)


@shared_task(name="gridgov.ping", soft_time_limit=5, time_limit=10)
def ping(token: str) -> str:
    """Echo a token back: proves a worker consumes from the configured broker (health checks,
    the integration test)."""
    return f"pong:{token}"


@shared_task(
    name="workflows.route_case",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30,
    time_limit=60,
)
def route_case(case_id: int) -> int | None:
    """Auto-dispatch an accepted case where a routing rule names a department (DESIGN §4).

    Idempotent: a case that is no longer ``accepted`` (dispatched by staff or by an earlier
    delivery of this task), that has vanished, or that no rule covers is left alone. Returns
    the department id dispatched to, else None. Database errors are retried with backoff.
    """
    case = Case.objects.select_related("category", "cell").filter(pk=case_id).first()
    if case is None or case.status != CaseStatus.ACCEPTED:
        return None
    department = route_for(category=case.category, cell=case.cell)
    if department is None:
        return None
    try:
        dispatch_case(case_id=case_id, by=None, department_id=department.pk)
    except TransitionNotAllowed:  # dispatched meanwhile: this delivery has nothing to do
        return None
    except ValidationError as exc:  # a stale rule: the case waits in the street's queue
        logger.warning("route_case %s: rule to %s refused: %s", case_id, department, exc)
        return None
    return department.pk
