"""The SLA scanner (时限监控): reminders (催办), overdue marks and escalation (督办) — DESIGN §4.

Deadlines live in the case's columns (``due_at``, ``remind_at``, set when a step starts);
``scan_deadlines`` runs every minute (Celery beat) and acts on the cases whose time has come:

- at ``remind_at`` (80 % of the step's limit): a reminder to whoever must act next;
- at ``due_at``: ``overdue`` and yellow escalation, notifying the actor and street staff;
- when the step has taken twice its limit (``red_at``, on the working calendar): red
  escalation, notifying district admins too.

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
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from psycopg2.extras import execute_values

from cases.models import Case, CaseStatus, EscalationLevel, Priority

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


def red_point(case: Case, calendar: WorkingCalendar) -> datetime:
    """When the step has taken ``RED_FACTOR`` × its limit: on the working calendar the
    working time from the step's start to ``due_at`` (an extension included) is doubled;
    urgent cases run on calendar time, so their span is doubled as elapsed time."""
    start, due = case.step_started_at, case.due_at
    if case.priority == Priority.URGENT:
        return start + (due - start) * RED_FACTOR
    try:
        worked = calendar.between(start, due) // timedelta(microseconds=1)
        hours = Decimal(worked * RED_FACTOR) / _MICROSECONDS_PER_HOUR
        return calendar.add(start, TimeLimit(hours, LimitUnit.WORKING_HOURS))
    except ValueError:  # absurd spans: fall back to elapsed time rather than stall the scan
        logger.warning("case %s: red point on calendar time", case.pk, exc_info=True)
        return start + (due - start) * RED_FACTOR


def _scan_case(
    case: Case, *, now: datetime, calendar: WorkingCalendar, recipients: Recipients
) -> list[Alert]:
    """Apply the SLA rules to one locked case in memory; return what happened (a reminder,
    overdue, red), each with the people to tell."""
    alerts: list[Alert] = []
    actors = recipients.actors(case)

    def add(kind: str, users: set[int]) -> None:
        alerts.append(Alert(case.pk, kind, case.version, case.due_at, frozenset(users)))

    past_due = case.due_at is not None and case.due_at <= now
    if (
        case.remind_at
        and case.remind_at <= now
        and (case.reminded_for is None or case.reminded_for < case.remind_at)
    ):
        case.reminded_for = case.remind_at
        if not past_due:  # past the deadline the overdue notice says more
            add(NotificationKind.REMINDER, actors)
    if past_due and (not case.overdue or case.escalation_level == EscalationLevel.NONE):
        case.overdue = True
        case.escalation_level = max(case.escalation_level, EscalationLevel.YELLOW)
        case.red_at = red_point(case, calendar)
        users = actors | recipients.street_staff(case)
        if case.status == S.SUSPENDED:  # the street's own decision: the district watches it
            users |= recipients.district_admins(case)
        add(NotificationKind.OVERDUE, users)
    if case.escalation_level == EscalationLevel.YELLOW and case.due_at is not None:
        if case.red_at is None:
            case.red_at = red_point(case, calendar)
        if case.red_at <= now:
            case.escalation_level = EscalationLevel.RED
            users = actors | recipients.street_staff(case) | recipients.district_admins(case)
            add(NotificationKind.ESCALATION, users)
    return alerts


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


def _scan_batch(
    *,
    now: datetime,
    batch_size: int,
    calendar: WorkingCalendar,
    digest: Digest,
    after: tuple | None,
) -> tuple[list[Case], ScanResult]:
    """One transaction: lock up to ``batch_size`` due cases after the ``(due_at, pk)`` key
    ``after`` (skipping locked ones), apply the rules, save the SLA columns, record each
    occasion on its case and count it in the scan's digests. Returns (the cases, counts)."""
    result = ScanResult()
    # Keyset, not "whatever still matches": rows already handled in this scan are never read
    # again, so a scan of N cases reads N rows, not N²/batch.
    position = Q(due_at__isnull=False)
    if after is not None:
        position &= Q(due_at__gt=after[0]) | Q(due_at=after[0], pk__gt=after[1])
    with transaction.atomic():
        cases = list(
            Case.objects.filter(due_for_action(now), position)
            .select_related("street")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("due_at", "pk")[:batch_size]
        )
        if not cases:
            return [], result
        recipients = Recipients(cases)
        alerts: list[Alert] = []
        for case in cases:
            alerts += _scan_case(case, now=now, calendar=calendar, recipients=recipients)
        kinds = [a.kind for a in alerts]
        result.reminded = kinds.count(NotificationKind.REMINDER)
        result.overdue = kinds.count(NotificationKind.OVERDUE)
        result.escalated = kinds.count(NotificationKind.ESCALATION)
        _save_sla_columns(cases)
        store_notices(alerts, at=now)
        counted = digest.add(alerts)
    result.notifications = digest.committed(counted)
    return cases, result


def scan_deadlines(*, now: datetime | None = None, batch_size: int = 2000) -> ScanResult:
    """Send the reminders, overdue marks and escalations due at ``now`` (default: now), in
    batches of ``batch_size`` cases, most urgent first, and a digest per person and kind of
    all of them. Safe to run twice or concurrently.

    The working calendar is loaded once per scan, so each batch runs a constant number of
    queries whatever its size. Returns the counts.
    """
    now = now or timezone.now()
    calendar = WorkingCalendar.load(around=timezone.localdate(now))
    digest = Digest()
    total = ScanResult()
    after = None
    while True:
        cases, result = _scan_batch(
            now=now, batch_size=batch_size, calendar=calendar, digest=digest, after=after
        )
        if not cases:
            break
        total.batches += 1
        for name in ("reminded", "overdue", "escalated", "notifications"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        if len(cases) < batch_size:
            break
        after = (cases[-1].due_at, cases[-1].pk)
    return total
