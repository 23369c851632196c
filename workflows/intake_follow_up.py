"""What a new case sets off (DESIGN §4: notices, duplicate detection at intake), done for the
cases intake marked ``intake_pending``.

Intake only marks the case; ``follow_up_pending`` (the ``workflows.follow_up_intakes`` task,
queued shortly after intakes and run by beat every minute) does the work of the marked cases
in batches of up to ``BATCH``, oldest first. A batch is one transaction of a constant number
of queries: one ``SKIP LOCKED`` select claims and loads its cases, one read finds the people
around them, one duplicate search covers the whole batch (``cases.duplicates``), the notices
and residents' messages are stored in bulk with their outbox rows, and one UPDATE clears the
marks. Sweeps running at once share the cases instead of repeating them. A batch that fails
is rolled back and its cases are done one at a time, so a case whose work fails is logged and
left marked for the next sweep without holding up the others. The work itself is idempotent
(dedupe keys, unique candidate rows), so a redelivered sweep repeats nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from time import monotonic

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from cases import duplicates
from cases.models import Case

from . import notifications, resident_notices, steps

logger = logging.getLogger(__name__)

BATCH = 300


@dataclass(frozen=True)
class Sweep:
    done: int  # cases whose work was done
    finished: bool  # False: out of time with marked cases left


def follow_up_cases(cases: Sequence[Case]) -> dict[str, int]:
    """The after-intake work of loaded cases (``street`` and ``contact`` loaded): tell the
    street's staff of each (and a resident reporter their tracking code), flag duplicate
    candidates (and tell staff of those). Every part is idempotent, so doing it again after a
    crash or by two sweeps at once repeats no notice. Returns what was stored."""
    recipients = notifications.Recipients(cases)
    found = duplicates.find_candidates_many(cases)
    # A case a later step moved on since intake was notified by that step (a note added to
    # it is no step: the street still owes it a first look).
    moved = steps.moved_on((case.pk for case in cases), since=steps.INTAKE)
    drafts = []
    for case in cases:
        if case.pk not in moved:
            drafts += notifications.next_actor_drafts(case, "create", recipients, step=steps.INTAKE)
        drafts += duplicates.duplicate_drafts(case, found.get(case.pk, []), recipients)
    return {
        "notified": notifications.notify_many(drafts),
        "resident": resident_notices.store_messages(
            resident_notices.resident_message(case, "create", version=steps.INTAKE)
            for case in cases
        ),
        "duplicates": sum(len(pairs) for pairs in found.values()),
    }


def _claim(queryset, limit: int) -> list[Case]:
    """Lock and load up to ``limit`` marked cases of ``queryset`` that no other sweep holds."""
    return list(
        queryset.filter(intake_pending=True)
        .select_related("street", "contact")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("id")[:limit]
    )


def _follow_up_batch(after: int, claimed: list[int]) -> int:
    """One transaction: claim the next batch after id ``after``, do its work, clear its
    marks. The claimed ids are put in ``claimed`` (for the caller, should the work fail)."""
    with transaction.atomic():
        cases = _claim(Case.objects.filter(pk__gt=after), BATCH)
        claimed.extend(case.pk for case in cases)
        if cases:
            follow_up_cases(cases)
            Case.objects.filter(pk__in=claimed).update(intake_pending=False)
        return len(cases)


def _follow_up_one(case_id: int) -> int:
    """The work of one case if it is still marked and no other sweep holds it: 1 if done."""
    try:
        with transaction.atomic():
            cases = _claim(Case.objects.filter(pk=case_id), 1)
            if not cases:
                return 0  # done meanwhile, or another sweep holds it
            follow_up_cases(cases)
            Case.objects.filter(pk=case_id).update(intake_pending=False)
            return 1
    except SoftTimeLimitExceeded:
        raise
    except Exception:  # one case's failure must not hold up the others
        logger.exception("after-intake work of case %s failed; it stays pending", case_id)
        return 0


def follow_up_pending(*, seconds: float) -> Sweep:
    """Do the work of the marked cases, a batch at a time, walking past those that fail or
    that another sweep holds; stop taking batches after ``seconds``."""
    started, done, after = monotonic(), 0, 0
    while monotonic() - started <= seconds:
        claimed: list[int] = []
        try:
            done += _follow_up_batch(after, claimed)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            logger.warning("a follow-up batch failed; its cases are done one by one", exc_info=True)
            done += sum(_follow_up_one(case_id) for case_id in claimed)
        if not claimed:
            return Sweep(done=done, finished=True)
        after = claimed[-1]
    return Sweep(done=done, finished=False)
