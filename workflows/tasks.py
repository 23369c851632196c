"""Celery tasks of the closed loop. Tasks take ids (or find their rows, as the sweeps do), are
idempotent and call services."""

from __future__ import annotations

import logging
import threading
from time import monotonic

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import OperationalError

from cases.models import Case, CaseStatus
from cases.selectors import route_for

from . import intake_follow_up, notifications, resident_notices, sla
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
    ignore_result=True,
    soft_time_limit=30,
    time_limit=60,
)
def route_case(case_id: int, version: int | None = None) -> int | None:
    """Auto-dispatch an accepted case where a routing rule names a department (DESIGN §4).

    Idempotent: a case that is no longer ``accepted`` (dispatched by staff or by an earlier
    delivery of this task), that has moved past ``version`` (the accept that queued this —
    a case the department returned is accepted again, but must not go straight back), that
    has vanished, or that no rule covers is left alone. Returns the department id dispatched
    to, else None. Database errors are retried with backoff.
    """
    case = Case.objects.select_related("category", "cell").filter(pk=case_id).first()
    if case is None or case.status != CaseStatus.ACCEPTED:
        return None
    if version is not None and case.version != version:
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


# Shared by the tasks below: database hiccups are retried with backoff; every task is
# idempotent (dedupe keys, claimed rows), so acks_late redelivery after a lost worker is safe.
# Nobody waits for their results: with a result backend, a task that keeps its result costs
# the sender two more broker round trips (subscribe, unsubscribe) and the worker a write.
_RETRYING = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}


@shared_task(name="workflows.scan_sla", soft_time_limit=50, time_limit=58, **_RETRYING)
def scan_sla() -> dict[str, int]:
    """The SLA scanner (beat, every minute): reminders, overdue marks, escalation.

    Safe to run twice or concurrently (``SKIP LOCKED`` batches, deduplicated notifications).
    A scan cut short by the time limit keeps the batches it committed; the next one goes on.
    """
    return sla.scan_deadlines().as_dict()


@shared_task(
    name="workflows.notify_after_transition", soft_time_limit=30, time_limit=60, **_RETRYING
)
def notify_after_transition(case_id: int, action: str, version: int) -> int:
    """Tell whoever must act after ``action`` took the case to ``version``, and the resident
    behind it what became of their report. Skipped if the case has moved on. Returns new
    notifications and messages."""
    return notifications.notify_next_actor(
        case_id, action, version
    ) + resident_notices.tell_resident(case_id, action, version)


@shared_task(
    name="workflows.send_notification_email",
    soft_time_limit=30,
    time_limit=60,
    **{**_RETRYING, "autoretry_for": (OperationalError, OSError)},  # OSError: SMTP, network
)
def send_notification_email(notification_id: int) -> bool:
    """Email one notification (at most once: the row is claimed before sending)."""
    return notifications.send_email_for(notification_id)


@shared_task(
    name="workflows.send_resident_message",
    soft_time_limit=30,
    time_limit=60,
    **{**_RETRYING, "autoretry_for": (OperationalError, OSError)},  # OSError: SMTP, network
)
def send_resident_message(message_id: int) -> bool:
    """SMS or email one message to a resident (at most once: claimed before sending)."""
    return resident_notices.send_message(message_id)


def queue_after_transition(case_id: int, action: str, version: int) -> None:
    """On commit of a transition: auto-routing after accept, and the notices of the next
    actor and of the resident behind the case. Called by ``workflows.services``."""
    if action == "accept":
        route_case.delay(case_id, version)
    notify_after_transition.delay(case_id, action, version)


# A sweep stops taking cases after this long (well inside its soft time limit) and leaves the
# rest to a fresh sweep it queues.
FOLLOW_UP_SECONDS = 40


@shared_task(name="workflows.follow_up_intakes", soft_time_limit=50, time_limit=58, **_RETRYING)
def follow_up_intakes() -> int:
    """The after-intake work of every case marked ``intake_pending``
    (``intake_follow_up.follow_up_pending``). Queued shortly after intakes
    (``request_intake_follow_up``) and by beat every minute, which catches up whatever a
    broker outage left. Returns how many cases were done; out of time, queues the next."""
    sweep = intake_follow_up.follow_up_pending(seconds=FOLLOW_UP_SECONDS)
    if not sweep.finished:
        follow_up_intakes.delay()
    return sweep.done


# Intakes within this many seconds share one sweep.
FOLLOW_UP_DELAY_SECONDS = 1.0
_follow_up_lock = threading.Lock()
_follow_up_queued_until = 0.0  # monotonic time at which the sweep this process queued starts


def request_intake_follow_up() -> None:
    """On commit of a new case: make sure a ``follow_up_intakes`` sweep starts after now.

    The sweep is queued to start ``FOLLOW_UP_DELAY_SECONDS`` later, and every intake this
    process commits before then is left to it, so a busy web process sends one message a
    second instead of one per case, while a single report is still followed up within about
    a second. A failed send raises (``run_after_commit`` logs it); the intakes of that second
    then wait for beat's sweep, rather than each waiting for the broker in turn.
    """
    global _follow_up_queued_until
    with _follow_up_lock:
        now = monotonic()
        if now < _follow_up_queued_until:
            return
        _follow_up_queued_until = now + FOLLOW_UP_DELAY_SECONDS
    follow_up_intakes.apply_async(countdown=FOLLOW_UP_DELAY_SECONDS)
