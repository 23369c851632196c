"""The summons scanner (吹哨报到, DESIGN §8): a summoned department that has not checked in
(报到) by its ``arrive_by`` is late, escalated like an overdue step (``workflows.sla``).

- past ``arrive_by`` with no check-in: ``overdue`` and yellow; the department's handlers and
  the street's staff are told;
- at twice the span (``summoned_at`` + 2 × (``arrive_by`` − ``summoned_at``), calendar time:
  on-site matters do not wait for office hours): red, and the district admins are told too.

Like the SLA scanner it writes no ``CaseEvent`` (the notifications are the record; the late
count is read from the rows by the indicators), locks its rows with ``SKIP LOCKED`` in
batches and deduplicates its notifications, so two scanners never wait for each other and a
repeated run sends nothing twice. A check-in after the mark keeps it: late is late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import CaseStatus, EscalationLevel, Summons

from .models import NotificationKind
from .notifications import Draft, Recipients, notify_many

RED_FACTOR = 2
BATCH = 500


@dataclass
class SummonsScan:
    late: int = 0
    red: int = 0
    notifications: int = 0


def _red_point(summons: Summons) -> datetime:
    return summons.summoned_at + (summons.arrive_by - summons.summoned_at) * RED_FACTOR


def _scan_batch(now: datetime, after: tuple | None) -> tuple[list[Summons], SummonsScan]:
    result = SummonsScan()
    # Keyset after the last row of the previous batch: a yellow summons not yet due for red
    # is read once per scan. Red is decided here, not in SQL (SQLite cannot scale a duration).
    position = Q()
    if after is not None:
        position = Q(arrive_by__gt=after[0]) | Q(arrive_by=after[0], pk__gt=after[1])
    with transaction.atomic():
        summonses = list(
            Summons.objects.filter(
                position,
                checked_in_at__isnull=True,
                # Only while the case can still be checked in on: once it moved on (reported,
                # closed, returned), a missing arrival is counted, not escalated.
                case__status__in=(CaseStatus.DISPATCHED, CaseStatus.HANDLING),
                arrive_by__lte=now,
                escalation_level__lt=EscalationLevel.RED,
            )
            .select_related("case__street", "department")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("arrive_by", "pk")[:BATCH]
        )
        people = Recipients(
            [s.case for s in summonses], departments={s.department_id for s in summonses}
        )
        drafts: list[Draft] = []
        changed: list[Summons] = []
        for summons in summonses:
            case = summons.case
            params = {
                "number": case.number,
                "title": case.title,
                "department": summons.department.name,
                "due": timezone.localtime(summons.arrive_by).strftime("%H:%M"),
            }
            handlers = people.department_handlers(summons.department_id)
            staff = people.street_staff(case)
            if summons.escalation_level == EscalationLevel.NONE:
                summons.overdue, summons.escalation_level = True, EscalationLevel.YELLOW
                result.late += 1
                kind, users, key = NotificationKind.OVERDUE, handlers | staff, "summons-late"
                message = _(
                    "督办 %(department)s has not checked in (报到) at case %(number)s "
                    "“%(title)s”: it was due on site by %(due)s: yellow card."
                )
            elif _red_point(summons) <= now:
                summons.escalation_level = EscalationLevel.RED
                result.red += 1
                admins = people.district_admins(case)
                kind, users, key = (
                    NotificationKind.ESCALATION,
                    handlers | staff | admins,
                    "summons-red",
                )
                message = _(
                    "督办 %(department)s has still not checked in (报到) at case %(number)s "
                    "“%(title)s”, twice its arrival time (due %(due)s): red card."
                )
            else:
                continue
            changed.append(summons)
            drafts.extend(
                Draft(u, case.pk, kind, message % params, f"{key}:{summons.pk}")
                for u in sorted(users)
            )
        Summons.objects.bulk_update(changed, ["overdue", "escalation_level"])
        result.notifications = notify_many(drafts)
    return summonses, result


def scan_summonses(*, now: datetime | None = None) -> SummonsScan:
    """Mark late and escalate the summonses due at ``now`` (see the module docstring)."""
    now = now or timezone.now()
    total = SummonsScan()
    after = None
    while True:
        summonses, result = _scan_batch(now, after)
        total.late += result.late
        total.red += result.red
        total.notifications += result.notifications
        if len(summonses) < BATCH:
            return total
        after = (summonses[-1].arrive_by, summonses[-1].pk)
