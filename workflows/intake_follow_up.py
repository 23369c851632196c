"""What a new case sets off (DESIGN §4: notices, duplicate detection at intake), done for the
cases intake marked ``intake_pending``.

Intake only marks the case; ``follow_up_pending`` (the ``workflows.follow_up_intakes`` task,
queued shortly after intakes and run by beat every minute) does the work of every marked case,
oldest first. Each case is claimed with ``SKIP LOCKED`` in its own transaction and its mark is
cleared with its work, so sweeps running at once share the cases instead of repeating them,
and a case whose work fails is rolled back, logged and left marked for the next sweep without
holding up the others. The work itself is idempotent (dedupe keys, unique candidate rows).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from time import monotonic

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from cases import duplicates
from cases.models import Case

from . import notifications, resident_notices

logger = logging.getLogger(__name__)

BATCH = 200


@dataclass(frozen=True)
class Sweep:
    done: int  # cases whose work was done
    finished: bool  # False: out of time with marked cases left


def follow_up_intake(case_id: int) -> dict[str, int]:
    """The after-intake work of one case: tell the street's staff of it (and a resident
    reporter their tracking code), then flag its duplicate candidates (and tell staff of
    those). Every step is idempotent, so doing it again after a crash or by two sweeps at once
    repeats no notice."""
    return {
        "notified": notifications.notify_next_actor(case_id, "create", 1),
        "resident": resident_notices.tell_resident(case_id, "create"),
        "duplicates": duplicates.flag_duplicates(case_id),
    }


def follow_up_pending(*, seconds: float) -> Sweep:
    """Do the work of the marked cases, walking past those that fail or that another sweep
    holds; stop taking cases after ``seconds``."""
    started, done, after = monotonic(), 0, 0
    while True:
        batch = list(
            Case.objects.filter(intake_pending=True, pk__gt=after)
            .order_by("id")
            .values_list("id", flat=True)[:BATCH]
        )
        if not batch:
            return Sweep(done=done, finished=True)
        for case_id in batch:
            if monotonic() - started > seconds:
                return Sweep(done=done, finished=False)
            done += _follow_up_claimed(case_id)
            after = case_id


def _follow_up_claimed(case_id: int) -> int:
    """The work of one case if it is still marked and no other sweep holds it: 1 if done."""
    try:
        with transaction.atomic():
            pending = Case.objects.filter(pk=case_id, intake_pending=True)
            if not list(pending.select_for_update(skip_locked=True).values_list("pk")):
                return 0  # done meanwhile, or another sweep holds it
            follow_up_intake(case_id)
            pending.update(intake_pending=False)
            return 1
    except SoftTimeLimitExceeded:
        raise
    except Exception:  # one case's failure must not hold up the others
        logger.exception("after-intake work of case %s failed; it stays pending", case_id)
        return 0
