"""The transactional outbox (DESIGN §4): nothing the loop owes anyone depends on one broker send.

A transition, a notification with an email, or a message to a resident records an ``Effect``
row in the transaction that causes it. ``deliver_pending`` (the ``workflows.deliver_effects``
task) delivers the rows: each is claimed with ``SKIP LOCKED`` in its own transaction, handled,
and deleted in that transaction, so sweeps running at once share the rows, a row whose handler
fails is rolled back, counted and left for the next sweep, and a delivered row is gone (the
handlers are idempotent besides: dedupe keys and claimed rows). One window stays: a process
killed after a handler's email or SMS left but before the commit sends it again on the next
sweep; an email then carries its first Message-ID (``mail.py``). After commit the process
asks for a sweep within about a second (``tasks.request_effects_delivery``: one broker message
per process per second, not one per effect); beat runs the sweep every minute as well, so a
broker outage only delays what is owed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import monotonic

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import F

from .models import Effect

logger = logging.getLogger(__name__)

BATCH = 200
K = Effect.Kind


def after_transition(case_id: int, action: str, version: int) -> int:
    """What a transition owes: auto-routing after accept, then the notices of the next actor
    and of the resident behind the case. Skipped by each part when the case has moved past
    ``version``. Returns the notices stored."""
    from . import notifications, resident_notices, routing  # they record effects here

    if action == "accept":
        routing.route_case(case_id, version)
    return notifications.notify_next_actor(
        case_id, action, version
    ) + resident_notices.tell_resident(case_id, action, version)


def _handler(kind: str) -> Callable[..., object]:
    from . import notifications, resident_notices  # they record effects here

    return {
        K.AFTER_TRANSITION: after_transition,
        K.EMAIL: notifications.send_email_for,
        K.RESIDENT_MESSAGE: resident_notices.send_message,
    }[kind]


def _record(rows: Iterable[Effect]) -> None:
    rows = list(rows)
    if not rows:
        return
    # ignore_conflicts: an effect recorded twice (a replayed call) is owed once.
    Effect.objects.bulk_create(rows, ignore_conflicts=True)
    from .tasks import request_effects_delivery  # the tasks module imports this one

    transaction.on_commit(request_effects_delivery, robust=True)


def record_transition(case_id: int, action: str, version: int) -> None:
    _record(
        [
            Effect(
                kind=K.AFTER_TRANSITION,
                key=f"transition:{case_id}:{action}:{version}",
                args={"case_id": case_id, "action": action, "version": version},
            )
        ]
    )


def record_emails(notification_ids: Iterable[int]) -> None:
    _record(
        Effect(kind=K.EMAIL, key=f"email:{pk}", args={"notification_id": pk})
        for pk in notification_ids
    )


def record_resident_messages(message_ids: Iterable[int]) -> None:
    _record(
        Effect(kind=K.RESIDENT_MESSAGE, key=f"resident:{pk}", args={"message_id": pk})
        for pk in message_ids
    )


@dataclass(frozen=True)
class Sweep:
    done: int  # effects delivered
    failed: int  # effects whose handler raised (left for the next sweep)
    finished: bool  # False: out of time with effects left


def deliver_pending(*, seconds: float) -> Sweep:
    """Deliver the recorded effects, oldest first, walking past those that fail or that
    another sweep holds; stop taking rows after ``seconds``."""
    started, done, failed, after = monotonic(), 0, 0, 0
    while True:
        batch = list(
            Effect.objects.filter(pk__gt=after).order_by("id").values_list("id", flat=True)[:BATCH]
        )
        if not batch:
            return Sweep(done=done, failed=failed, finished=True)
        for effect_id in batch:
            if monotonic() - started > seconds:
                return Sweep(done=done, failed=failed, finished=False)
            outcome = _deliver_claimed(effect_id)
            done += outcome is True
            failed += outcome is False
            after = effect_id


def _deliver_claimed(effect_id: int) -> bool | None:
    """Deliver one effect if it is still there and no other sweep holds it: True if
    delivered, False if its handler failed, None if there was nothing to do."""
    try:
        with transaction.atomic():
            effect = Effect.objects.select_for_update(skip_locked=True).filter(pk=effect_id).first()
            if effect is None:
                return None  # delivered meanwhile, or another sweep holds it
            _handler(effect.kind)(**effect.args)
            effect.delete()
            return True
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:  # one effect's failure must not hold up the others
        logger.exception("effect %s failed; it stays for the next sweep", effect_id)
        Effect.objects.filter(pk=effect_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return False
