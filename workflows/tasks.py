"""Celery tasks of the closed loop. Tasks take ids (or find their rows, as the sweeps do), are
idempotent and call services."""

from __future__ import annotations

import logging
import threading
from time import monotonic

from celery import shared_task
from django.db import OperationalError

from gridgov.task_options import RETRYING

from . import intake_follow_up, outbox, sla, summons

logger = logging.getLogger(__name__)


@shared_task(name="gridgov.ping", soft_time_limit=5, time_limit=10)
def ping(token: str) -> str:
    """Echo a token back: proves a worker consumes from the configured broker (health checks,
    the integration test)."""
    return f"pong:{token}"


# The loop's sweeps run every minute, so they retry sooner and more often than the nightly
# ones (with jitter: many processes ask at once). Every task is idempotent (dedupe keys,
# claimed rows), so acks_late redelivery after a lost worker is safe. Nobody waits for their
# results: with a result backend, a task that keeps its result costs the sender two more
# broker round trips (subscribe, unsubscribe) and the worker a write.
_RETRYING = RETRYING | {
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "ignore_result": True,
}


@shared_task(name="workflows.scan_sla", soft_time_limit=50, time_limit=58, **_RETRYING)
def scan_sla() -> dict[str, int]:
    """The SLA scanner (beat, every minute): reminders, overdue marks, escalation.

    Safe to run twice or concurrently (``SKIP LOCKED`` batches, deduplicated notifications).
    A scan cut short by the time limit keeps the batches it committed; the next one goes on.
    Summonses late to check in (``workflows.summons``) are scanned with it.
    """
    result = sla.scan_deadlines().as_dict()
    try:  # 吹哨: departments late to check in on site; its failure must not stop the SLA scan
        late = summons.scan_summonses()
    except OperationalError:
        raise  # retried with the task (both scans are idempotent)
    except Exception:
        logger.exception("the summons scan failed; the deadline scan was done")
        return result
    return result | {"summons_late": late.late, "summons_red": late.red}


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


# Sweeps queued after commit start this many seconds later; what the process commits meanwhile
# is left to them.
SWEEP_DELAY_SECONDS = 1.0


class SweepRequests:
    """Queue ``task`` to start ``SWEEP_DELAY_SECONDS`` from now, unless this process already
    queued one that has not started: a busy web process sends one message a second instead of
    one per commit, while a single commit is still followed up within about a second.

    The send is made on a thread of its own, with no retries, and at most one is in flight per
    process: a request never waits for the broker. A broker that is refused, down or hung
    costs that thread a failed connection (bounded by the socket timeouts in
    settings.CELERY_BROKER_TRANSPORT_OPTIONS, and redis-py's own few retries), logged; the work
    then waits for beat's sweep. The work is in the database (outbox rows, ``intake_pending``
    marks) before this is called, so a lost send loses nothing.
    """

    def __init__(self, task) -> None:
        self.task = task
        self.__qualname__ = f"SweepRequests({task.name})"  # on_commit logs by its name
        self._lock = threading.Lock()
        self._queued_until = 0.0  # monotonic time at which the sweep this process queued starts
        self._sending: threading.Thread | None = None

    def __call__(self) -> None:
        with self._lock:
            now = monotonic()
            if now < self._queued_until or (self._sending and self._sending.is_alive()):
                return
            self._queued_until = now + SWEEP_DELAY_SECONDS
            self._sending = threading.Thread(target=self._send, name=self.__qualname__, daemon=True)
        self._sending.start()

    def _send(self) -> None:
        try:
            self.task.apply_async(countdown=SWEEP_DELAY_SECONDS, retry=False)
        except Exception:  # a broker outage: beat's sweep does the work a little later
            logger.warning(
                "could not queue %s; beat's sweep will do it", self.task.name, exc_info=True
            )

    def join(self, timeout: float | None = None) -> None:
        """Wait for the send in flight, if any (tests, and a clean shutdown)."""
        if self._sending is not None:
            self._sending.join(timeout)


# On commit of a new case (intake marked it ``intake_pending``).
request_intake_follow_up = SweepRequests(follow_up_intakes)


@shared_task(name="workflows.deliver_effects", soft_time_limit=50, time_limit=58, **_RETRYING)
def deliver_effects() -> int:
    """Deliver the outbox (``outbox.deliver_pending``): what transitions owe (auto-routing,
    notices), emails and messages to residents. Queued shortly after the commits that record
    them (``request_effects_delivery``) and by beat every minute, which catches up whatever a
    broker outage left. Returns how many were delivered; out of time, queues the next."""
    sweep = outbox.deliver_pending(seconds=FOLLOW_UP_SECONDS)
    if not sweep.finished:
        deliver_effects.delay()
    return sweep.done


# On commit of anything that recorded an effect.
request_effects_delivery = SweepRequests(deliver_effects)
