"""The SLA scanner (时限监控): reminders (催办), overdue marks and escalation (督办) — DESIGN §4.

Deadlines live in the case's columns (``due_at``, ``remind_at``, set when a step starts) and
in each co-department's part (协办, ``CasePart``: its own deadline, with the same marks);
``scan_deadlines`` runs every minute (Celery beat) and acts on the cases and the open parts
whose time has come:

- at ``remind_at`` (80 % of the step's limit): a reminder to whoever must act next;
- at ``due_at``: ``overdue`` and yellow escalation, notifying the actor and street staff;
- when the step has taken twice its limit (``red_at``, on the working calendar): red
  escalation, notifying district admins too.

A part is reminded to its department's handlers; late, the street's staff are told too; red,
the district admins as well. Its lateness is its own: the case (the lead's step) is not
marked, and its notices name the department.

A suspension (挂账) is a step like the others, due at its review date (``workflows.clocks``):
past it, the case is marked overdue and yellow and the street's staff and the district
admins are told (the street decided the suspension, the district watches it); red at twice
the suspension's span, as for any step.

These are not transitions: status and version never change, no ``CaseEvent`` is written,
and only the SLA columns are saved. Each occasion is recorded on its case (an ``SlaNotice``,
shown in the case's timeline), and the people concerned hear of all of a scan's occasions in
one digest per person and kind (``workflows.sla_digest``): a worst-case minute with 100,000
cases due writes 100,000-odd rows in bulk, not a notification per case and person.

Each batch is one transaction whose rows are locked with ``SKIP LOCKED``, so two scanners (or
a scanner and a transition) never wait for each other; a skipped row is picked up by the next
scan. A case's marks, its notices and its count in the digests commit together, and the marks
say what was done, so running the scanner twice (or two at once) tells of each occasion once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from psycopg2.extras import execute_values

from cases.models import Case, CasePart, CaseStatus, EscalationLevel, PartStatus, Priority

from .calendar import LimitUnit, TimeLimit, WorkingCalendar
from .models import NotificationKind
from .notifications import Recipients
from .sla_digest import Alert, Digest, store_notices

logger = logging.getLogger(__name__)

S = CaseStatus
# States with a running clock (a suspension's runs to its review date); rejected and closed
# cases are left alone.
SCANNED_STATUSES = (S.COLLECTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.SUSPENDED, S.FEEDBACK)
RED_FACTOR = 2
_SLA_FIELDS = ("reminded_for", "overdue", "escalation_level", "red_at")
_PART_FIELDS = ("reminded", "overdue", "escalation_level", "red_at")
_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)


@dataclass
class ScanResult:
    """What one scan did: cases reminded, turned overdue (yellow), turned red; batches run;
    digest notifications created (one per person and kind)."""

    reminded: int = 0
    overdue: int = 0
    escalated: int = 0
    batches: int = 0
    notifications: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def due_for_action(now: datetime) -> Q:
    """Cases with something to do at ``now``: a reminder not yet sent for the current
    ``remind_at``, a deadline passed but not yet marked, or a yellow case due for red."""
    reminder = Q(remind_at__lte=now) & (
        Q(reminded_for__isnull=True) | Q(reminded_for__lt=F("remind_at"))
    )
    overdue = Q(due_at__lte=now) & (Q(overdue=False) | Q(escalation_level=EscalationLevel.NONE))
    red = Q(escalation_level=EscalationLevel.YELLOW, due_at__isnull=False) & (
        Q(red_at__isnull=True) | Q(red_at__lte=now)
    )
    return Q(status__in=SCANNED_STATUSES) & (reminder | overdue | red)


def red_point(
    start: datetime, due: datetime, *, urgent: bool, calendar: WorkingCalendar
) -> datetime:
    """When a step (or a part) running from ``start`` to ``due`` has taken ``RED_FACTOR`` ×
    its limit: on the working calendar the working time between them (an extension included)
    is doubled; urgent cases run on calendar time, so their span is doubled as elapsed time."""
    if urgent:
        return start + (due - start) * RED_FACTOR
    try:
        worked = calendar.between(start, due) // timedelta(microseconds=1)
        hours = Decimal(worked * RED_FACTOR) / _MICROSECONDS_PER_HOUR
        return calendar.add(start, TimeLimit(hours, LimitUnit.WORKING_HOURS))
    except ValueError:  # absurd spans: fall back to elapsed time rather than stall the scan
        logger.warning("red point from %s to %s on calendar time", start, due, exc_info=True)
        return start + (due - start) * RED_FACTOR


def _lateness(clock, *, now: datetime, start: datetime, urgent: bool, calendar) -> list[str]:
    """Mark ``clock`` (a case or a part: ``due_at``, ``overdue``, ``escalation_level``,
    ``red_at``) overdue and yellow past its deadline, red past its red point; return the
    occasions (overdue, escalation) that happened now."""
    kinds: list[str] = []
    if clock.due_at is None:
        return kinds
    if clock.due_at <= now and (
        not clock.overdue or clock.escalation_level == EscalationLevel.NONE
    ):
        clock.overdue = True
        clock.escalation_level = max(clock.escalation_level, EscalationLevel.YELLOW)
        clock.red_at = red_point(start, clock.due_at, urgent=urgent, calendar=calendar)
        kinds.append(NotificationKind.OVERDUE)
    if clock.escalation_level == EscalationLevel.YELLOW:
        if clock.red_at is None:
            clock.red_at = red_point(start, clock.due_at, urgent=urgent, calendar=calendar)
        if clock.red_at <= now:
            clock.escalation_level = EscalationLevel.RED
            kinds.append(NotificationKind.ESCALATION)
    return kinds


def _scan_case(
    case: Case, *, now: datetime, calendar: WorkingCalendar, recipients: Recipients
) -> list[Alert]:
    """Apply the SLA rules to one locked case in memory; return what happened (a reminder,
    overdue, red), each with the people to tell."""
    actors = recipients.actors(case)
    kinds = []
    if (
        case.remind_at
        and case.remind_at <= now
        and (case.reminded_for is None or case.reminded_for < case.remind_at)
    ):
        case.reminded_for = case.remind_at
        if not (case.due_at and case.due_at <= now):  # past the deadline overdue says more
            kinds.append(NotificationKind.REMINDER)
    kinds += _lateness(
        case,
        now=now,
        start=case.step_started_at,
        urgent=case.priority == Priority.URGENT,
        calendar=calendar,
    )
    staff, admins = recipients.street_staff(case), recipients.district_admins(case)
    people = {
        NotificationKind.REMINDER: actors,
        # a suspension is the street's own decision: the district watches it
        NotificationKind.OVERDUE: actors
        | staff
        | (admins if case.status == S.SUSPENDED else set()),
        NotificationKind.ESCALATION: actors | staff | admins,
    }
    return [
        Alert(case.pk, kind, case.version, case.due_at, frozenset(people[kind])) for kind in kinds
    ]


def _scan_part(
    part: CasePart, *, now: datetime, calendar: WorkingCalendar, recipients: Recipients
) -> list[Alert]:
    """The same rules for a co-department's part (协办): its handlers are reminded; late, the
    street's staff are told too; red, the district admins as well."""
    case = part.case
    handlers = recipients.department_handlers(part.department_id)
    kinds = []
    if part.remind_at and part.remind_at <= now and not part.reminded:
        part.reminded = True
        if part.due_at > now:
            kinds.append(NotificationKind.REMINDER)
    kinds += _lateness(
        part,
        now=now,
        start=part.added_at,
        urgent=case.priority == Priority.URGENT,
        calendar=calendar,
    )
    staff, admins = recipients.street_staff(case), recipients.district_admins(case)
    people = {
        NotificationKind.REMINDER: handlers,
        NotificationKind.OVERDUE: handlers | staff,
        NotificationKind.ESCALATION: handlers | staff | admins,
    }
    return [
        Alert(case.pk, kind, case.version, part.due_at, frozenset(people[kind]), part.department_id)
        for kind in kinds
    ]


def _save_sla_columns(cases: list[Case]) -> None:
    """Write the scanner's columns of a batch in one statement.

    On PostgreSQL an ``UPDATE … FROM (VALUES …)``: Django's ``bulk_update`` builds a CASE
    per column and row, and took 6 of every 10 seconds of a 5,000-case scan. Elsewhere (the
    laptop default), ``bulk_update``.
    """
    if connection.vendor != "postgresql":
        Case.objects.bulk_update(cases, _SLA_FIELDS)
        return
    table = connection.ops.quote_name(Case._meta.db_table)
    columns = [Case._meta.get_field(name).column for name in _SLA_FIELDS]
    rows = [(case.pk, *(getattr(case, name) for name in _SLA_FIELDS)) for case in cases]
    assignments = ", ".join(f"{c} = v.{c}" for c in columns)
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f"UPDATE {table} AS c SET {assignments} FROM (VALUES %s) AS v(id, {', '.join(columns)})"
            " WHERE c.id = v.id",
            rows,
            template="(%s, %s::timestamptz, %s::boolean, %s::smallint, %s::timestamptz)",
            page_size=len(rows),
        )


def part_due_for_action(now: datetime) -> Q:
    """Open parts of cases being handled with something to do at ``now`` (as
    ``due_for_action``): a reminder not yet sent, a deadline passed but not yet marked, or
    a yellow part due for red."""
    reminder = Q(remind_at__lte=now, reminded=False)
    overdue = Q(due_at__lte=now, overdue=False)
    red = Q(escalation_level=EscalationLevel.YELLOW) & (Q(red_at__isnull=True) | Q(red_at__lte=now))
    return Q(status=PartStatus.OPEN, case__status__in=(S.DISPATCHED, S.HANDLING)) & (
        reminder | overdue | red
    )


def _save_part_marks(parts: list[CasePart]) -> None:
    CasePart.objects.bulk_update(parts, _PART_FIELDS)


@dataclass(frozen=True)
class _Clocks:
    """What the scanner walks, keyed by ``(due_at, pk)``: the rows due at ``now``, locked
    (``due``), the rules for one (``rules``), the people around a batch (``people``), and
    how a batch's marks are saved (``save``)."""

    due: Callable[[datetime], QuerySet]
    rules: Callable[..., list[Alert]]
    people: Callable[[list], Recipients]
    save: Callable[[list], None]


CASE_STEPS = _Clocks(
    due=lambda now: Case.objects.filter(due_for_action(now)).select_related("street"),
    rules=_scan_case,
    people=Recipients,
    save=_save_sla_columns,
)
# 协办: a co-department's part, whose handlers the case's own recipients do not include.
PARTS = _Clocks(
    due=lambda now: CasePart.objects.filter(part_due_for_action(now)).select_related(
        "case__street"
    ),
    rules=_scan_part,
    people=lambda parts: Recipients(
        [p.case for p in parts], departments={p.department_id for p in parts}
    ),
    save=_save_part_marks,
)


def _scan_batch(
    clocks: _Clocks,
    *,
    now: datetime,
    batch_size: int,
    calendar: WorkingCalendar,
    digest: Digest,
    after: tuple | None,
) -> tuple[list, ScanResult]:
    """One transaction: lock up to ``batch_size`` due rows after the ``(due_at, pk)`` key
    ``after`` (skipping locked ones), apply the rules, save their marks, record each
    occasion on its case and count it in the scan's digests (owing their emails). Returns
    (the rows, counts)."""
    result = ScanResult()
    # Keyset, not "whatever still matches": rows already handled in this scan are never read
    # again, so a scan of N cases reads N rows, not N²/batch.
    position = Q(due_at__isnull=False)
    if after is not None:
        position &= Q(due_at__gt=after[0]) | Q(due_at=after[0], pk__gt=after[1])
    with transaction.atomic():
        rows = list(
            clocks.due(now)
            .filter(position)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("due_at", "pk")[:batch_size]
        )
        if not rows:
            return [], result
        recipients = clocks.people(rows)
        alerts: list[Alert] = []
        for row in rows:
            alerts += clocks.rules(row, now=now, calendar=calendar, recipients=recipients)
        kinds = [a.kind for a in alerts]
        result.reminded = kinds.count(NotificationKind.REMINDER)
        result.overdue = kinds.count(NotificationKind.OVERDUE)
        result.escalated = kinds.count(NotificationKind.ESCALATION)
        clocks.save(rows)
        store_notices(alerts, at=now)
        counted = digest.add(alerts)
    result.notifications = digest.committed(counted)
    return rows, result


def scan_deadlines(*, now: datetime | None = None, batch_size: int = 2000) -> ScanResult:
    """Send the reminders, overdue marks and escalations due at ``now`` (default: now) of
    cases' steps, then of co-departments' parts, in batches of ``batch_size`` rows, most
    urgent first, and a digest per person and kind of all of them. Safe to run twice or
    concurrently.

    The working calendar is loaded once per scan, so each batch runs a constant number of
    queries whatever its size. Returns the counts.
    """
    now = now or timezone.now()
    calendar = WorkingCalendar.load(around=timezone.localdate(now))
    digest = Digest()
    total = ScanResult()
    for clocks in (CASE_STEPS, PARTS):
        after = None
        while True:
            rows, result = _scan_batch(
                clocks,
                now=now,
                batch_size=batch_size,
                calendar=calendar,
                digest=digest,
                after=after,
            )
            if not rows:
                break
            total.batches += 1
            for name in ("reminded", "overdue", "escalated", "notifications"):
                setattr(total, name, getattr(total, name) + getattr(result, name))
            if len(rows) < batch_size:
                break
            after = (rows[-1].due_at, rows[-1].pk)
    return total
