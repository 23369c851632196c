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
scan. On PostgreSQL a scan runs ``SLA_SCAN_CONNECTIONS`` batches at once, each on its own
connection: most of a batch's time is the upkeep of the case table's indexes, which one
connection keeps to one core. A case's marks, its notices and its count in the digests
commit together, and the marks say what was done, so running the scanner twice (or two at
once) tells of each occasion once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, make_dataclass
from datetime import datetime
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from cases.models import Case, CasePart, CaseStatus, EscalationLevel, PartStatus, Priority
from gridgov.pg_arrays import array_literal

from .calendar import WorkingCalendar
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
        return calendar.add_working(start, calendar.between(start, due) * RED_FACTOR)
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


def _save_sla_columns(cases: list) -> None:
    """Write the scanner's columns of a batch in one statement.

    On PostgreSQL an ``UPDATE … FROM unnest(arrays)``, one array literal per column
    (``gridgov.pg_arrays``): Django's ``bulk_update`` builds a CASE per column and row (6 of
    every 10 seconds of a 5,000-case scan), and a VALUES list is quoted row by row in Python.
    Elsewhere (the laptop default), ``bulk_update``.
    """
    if connection.vendor != "postgresql":
        Case.objects.bulk_update(
            [Case(pk=c.pk, **{name: getattr(c, name) for name in _SLA_FIELDS}) for c in cases],
            _SLA_FIELDS,
        )
        return
    table = connection.ops.quote_name(Case._meta.db_table)
    columns = [Case._meta.get_field(name).column for name in _SLA_FIELDS]
    assignments = ", ".join(f"{c} = v.{c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET {assignments} FROM unnest("
            "%s::integer[], %s::timestamptz[], %s::boolean[], %s::smallint[], %s::timestamptz[]"
            f") AS v(id, {', '.join(columns)}) WHERE c.id = v.id",
            [
                array_literal(c.pk for c in cases),
                *(array_literal(getattr(c, name) for c in cases) for name in _SLA_FIELDS),
            ],
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


def _locked(due: QuerySet, ids: list[int]) -> QuerySet:
    """The rows of ``ids`` still due, locked, skipping locked ones (a row changed since the
    keys were read is checked again under its lock), most urgent first."""
    return (
        due.filter(pk__in=ids)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("due_at", "pk")
    )


# What ``_scan_case`` and ``Recipients`` read of a case.
_CASE_COLUMNS = (
    "status",
    "priority",
    "version",
    "return_count",
    "binding",
    "department_id",
    "handler_id",
    "verifier_id",
    "street_id",
    "step_started_at",
    "remind_at",
    "due_at",
    *_SLA_FIELDS,
)


# A due case as the rules read it: building a model instance per row cost a 100,000-case scan
# five seconds.
_CaseRow = make_dataclass(
    "_CaseRow",
    ["pk", *_CASE_COLUMNS, ("street", SimpleNamespace, None), ("awaiting_binding", bool, False)],
    slots=True,
)


def _case_rows(locked: QuerySet) -> list:
    """The ``locked`` due cases as ``_CaseRow`` records of ``_CASE_COLUMNS`` (with ``pk``,
    ``street.district_id`` and ``awaiting_binding``, all the rules and ``Recipients`` read)."""
    streets: dict[int, SimpleNamespace] = {}
    rows = []
    for pk, district_id, *values in locked.values_list("pk", "street__district_id", *_CASE_COLUMNS):
        row = _CaseRow(pk, *values)
        row.street = streets.setdefault(row.street_id, SimpleNamespace(district_id=district_id))
        row.awaiting_binding = Case.awaiting_binding.fget(row)
        rows.append(row)
    return rows


def _part_rows(locked: QuerySet) -> list[CasePart]:
    """The ``locked`` due parts, with their cases' columns the rules read."""
    return list(
        locked.select_related("case__street").only(
            "department_id",
            "added_at",
            "remind_at",
            "due_at",
            *_PART_FIELDS,
            *(f"case__{name}" for name in ("priority", "version", "department_id", "street")),
            "case__street__district_id",
        )
    )


@dataclass(frozen=True)
class _Clocks:
    """What the scanner walks: the rows due at ``now`` (``due``), a locked batch of them
    loaded as the rules read them (``rows``), the rules for one (``rules``), the people around
    a batch (``people``), and how a batch's marks are saved (``save``)."""

    due: Callable[[datetime], QuerySet]
    rows: Callable[[QuerySet], list]
    rules: Callable[..., list[Alert]]
    people: Callable[[list], Recipients]
    save: Callable[[list], None]


CASE_STEPS = _Clocks(
    due=lambda now: Case.objects.filter(due_for_action(now)),
    rows=_case_rows,
    rules=_scan_case,
    people=Recipients,
    save=_save_sla_columns,
)
# 协办: a co-department's part, whose handlers the case's own recipients do not include.
PARTS = _Clocks(
    due=lambda now: CasePart.objects.filter(part_due_for_action(now)),
    rows=_part_rows,
    rules=_scan_part,
    people=lambda parts: Recipients(
        [p.case for p in parts], departments={p.department_id for p in parts}
    ),
    save=_save_part_marks,
)


def _due_keys(clocks: _Clocks, now: datetime) -> list[int]:
    """The ids of the rows due at ``now``, most urgent first, read once per scan without
    locks: sorting only (deadline, id) pairs, where sorting whole rows for every batch took
    more than half of a 100,000-case scan."""
    return list(clocks.due(now).order_by("due_at", "pk").values_list("pk", flat=True))


def _scan_batch(
    clocks: _Clocks,
    *,
    now: datetime,
    ids: list[int],
    calendar: WorkingCalendar,
    digest: Digest,
) -> tuple[list, ScanResult]:
    """One transaction: lock the rows of ``ids`` still due (skipping locked ones; a row
    changed since the keys were read is checked again under its lock), apply the rules,
    save their marks, record each occasion on its case and count it in the scan's digests
    (owing their emails). Returns (the rows, counts)."""
    result = ScanResult()
    holding_turn = False
    try:
        with transaction.atomic():
            rows = clocks.rows(_locked(clocks.due(now), ids))
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
            # Batches in flight at once count their digests one at a time, each from the counts of
            # those committed before it: the turn is held until this one has committed too.
            digest.turn.acquire()
            holding_turn = True
            counted = digest.add(alerts)
        result.notifications = digest.committed(counted)
    finally:
        if holding_turn:
            digest.turn.release()
    return rows, result


def _batches(scan: Callable[[list[int]], tuple], chunks: list[list[int]]) -> Iterator[tuple]:
    """Run ``scan`` over each chunk of ids: on PostgreSQL, outside a transaction, up to
    ``SLA_SCAN_CONNECTIONS`` at once, each on a connection of its own; else one after
    another (inside a transaction, as in tests, another connection would not see its
    rows). Their rows never overlap, so they never wait for each other but for the digest's
    turn."""
    at_once = min(settings.SLA_SCAN_CONNECTIONS, len(chunks))
    if at_once < 2 or connection.vendor != "postgresql" or connection.in_atomic_block:
        for ids in chunks:
            yield scan(ids)
        return

    def on_own_connection(ids: list[int]) -> tuple:
        try:
            return scan(ids)
        finally:
            connection.close()  # this thread's

    pool = ThreadPoolExecutor(at_once, thread_name_prefix="sla-scan")
    try:
        yield from pool.map(on_own_connection, chunks)
    finally:  # cut short (a time limit): batches not begun are dropped, the next scan has them
        pool.shutdown(wait=True, cancel_futures=True)


def scan_deadlines(*, now: datetime | None = None, batch_size: int = 2000) -> ScanResult:
    """Send the reminders, overdue marks and escalations due at ``now`` (default: now) of
    cases' steps, then of co-departments' parts, in batches of ``batch_size`` rows, most
    urgent first, and a digest per person and kind of all of them. Safe to run twice or
    concurrently.

    The due rows' ids are read once, and each batch locks its own, so a scan of N rows reads
    N rows; the working calendar is loaded once per scan, so each batch runs a constant
    number of queries whatever its size. Returns the counts.
    """
    now = now or timezone.now()
    calendar = WorkingCalendar.load(around=timezone.localdate(now))
    digest = Digest()
    total = ScanResult()
    for clocks in (CASE_STEPS, PARTS):
        keys = _due_keys(clocks, now)
        chunks = [keys[start : start + batch_size] for start in range(0, len(keys), batch_size)]

        def scan(ids: list[int], clocks: _Clocks = clocks) -> tuple[list, ScanResult]:
            return _scan_batch(clocks, now=now, ids=ids, calendar=calendar, digest=digest)

        for rows, result in _batches(scan, chunks):
            if not rows:
                continue
            total.batches += 1
            for name in ("reminded", "overdue", "escalated", "notifications"):
                setattr(total, name, getattr(total, name) + getattr(result, name))
    return total
