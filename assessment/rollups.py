"""Counting cases for the indicators: straight from the case table, and into daily rollups.

``case_counts`` is the one place that says which case counts for what (the definitions are in
``assessment.indicators``): the nightly rollup calls it for one day grouped by cell and
department, the dashboard calls it for the part of a period not rolled up yet (today), and
the benchmark calls it for a whole period as the baseline.

``roll_up_day`` replaces one day's rows (delete + insert in one transaction, so a rerun or a
late correction leaves exactly one set) and refreshes its month's rows from the days.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from psycopg2.extras import execute_values

from cases.models import OPEN_STATUSES, Case, CaseSource, CaseStatus, CategoryFamily
from grids.models import GridCell
from workflows.models import NotificationKind, SlaNotice

from . import compiled, tally
from .arrivals import write_arrival_day
from .indicators import COUNT_FIELDS
from .models import (
    CellRollup,
    CommunityRollup,
    DepartmentRollup,
    OpenCaseTally,
    OpenCellTally,
    RolledDay,
    Satisfaction,
    Span,
)

# Reports by the public (监督举报): a resident, the hotline or an Open311 client found it.
PUBLIC_SOURCES = (CaseSource.RESIDENT, CaseSource.HOTLINE, CaseSource.OPEN311)
SUM_FIELDS = COUNT_FIELDS
Key = tuple


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day`` (aware)."""
    return datetime.combine(day, time.min, tzinfo=local_tz())


def filed_at() -> Coalesce:
    """When a case was filed (立案): accepted, or — resolved on the spot — created."""
    return Coalesce("accepted_at", "created_at", output_field=DateTimeField())


# --- which cases count (DESIGN §5: volume alone never raises a score) --------------------------
#
# A case the reporting worker resolved on the spot (自行处置, ``self_resolve``: never accepted,
# never handled by a department) is cheap to make: a worker can report thirty trivial things
# in their own cell and have them verified by a neighbour the system picked. Were each one
# filed and closed on time, they would dilute every rate — the overdue, the reworked and the
# public reports — and buy a grade. So such a case enters the rates (立案, 结案, 按期, 返工,
# 时长, 监督举报率's denominator) only once someone independent of its reporter checked it:
#
# - a worker of *another* cell verified it (``cross_check``, the random 交叉核查 draw), or
# - a department's handler took it up (``started_at``: it went back to the loop), or
# - a resident rated it (a phone callback to the affected household, ``Satisfaction``).
#
# It counts at that check: the close for the first two, the rating for the third (a rating
# comes after the close, so a day's rollup stays final: the rating's day counts it). Until
# then it shows only as 自行处置数 (``self_resolved``), a figure of its own outside the score.


def self_resolved_q() -> Q:
    """自行处置: resolved on the spot by its reporter — never accepted, a result reported."""
    return Q(accepted_at__isnull=True, reported_at__isnull=False)


def _unchecked_q() -> Q:
    """Self-resolved and checked by nobody independent at the close (a resident may still)."""
    return self_resolved_q() & Q(cross_check=False, started_at__isnull=True)


def _rating_in(t0: datetime, t1: datetime) -> Q:
    return Q(
        satisfaction__score__isnull=False,
        satisfaction__rated_at__gte=t0,
        satisfaction__rated_at__lt=t1,
    )


def _checked_q() -> Q:
    """Counted at its close: not self-resolved, or checked by another cell or a department."""
    return (
        Q(accepted_at__isnull=False)
        | Q(reported_at__isnull=True)
        | Q(cross_check=True)
        | Q(started_at__isnull=False)
    )


def _closed_at_close(t0: datetime, t1: datetime) -> Q:
    return Q(status=CaseStatus.CLOSED, closed_at__gte=t0, closed_at__lt=t1) & _checked_q()


def _closed_by_rating(t0: datetime, t1: datetime) -> Q:
    return Q(status=CaseStatus.CLOSED) & _unchecked_q() & _rating_in(t0, t1)


def closed_q(t0: datetime, t1: datetime) -> Q:
    """结案数: closed cases that enter the rates in ``[t0, t1)`` (see above)."""
    return _closed_at_close(t0, t1) | _closed_by_rating(t0, t1)


def _accepted(t0: datetime, t1: datetime) -> Q:
    return Q(accepted_at__gte=t0, accepted_at__lt=t1)


def filed_q(t0: datetime, t1: datetime) -> Q:
    """立案数: accepted in ``[t0, t1)``, or self-resolved and counted (checked) then."""
    return _accepted(t0, t1) | (self_resolved_q() & closed_q(t0, t1))


def self_resolved_in(t0: datetime, t1: datetime) -> Q:
    """自行处置数: self-resolved cases reported in ``[t0, t1)`` (created: the index's column),
    checked or not."""
    return self_resolved_q() & Q(created_at__gte=t0, created_at__lt=t1)


# 漏报 (DESIGN §5): a grid worker patrols for 部件 and 事件 (the C and E families); service
# requests (S) come to functional workers and are not a patrol's to find. A public report
# (resident, Open311, hotline) accepted about such a thing in a cell is one its patrol missed
# — unless a worker's report of it came first and was merged into it. Which worker answers
# for it (the one assigned to the cell that day) is decided per day from the assignments
# (``assessment.selectors``), so these counts are kept per cell and day.
PATROL_FAMILIES = (CategoryFamily.COMPONENT, CategoryFamily.EVENT)
WORKER_SOURCES = (CaseSource.PATROL, CaseSource.VISIT)


def _patrol() -> Q:
    return Q(category__family__in=PATROL_FAMILIES)


def patrol_filed_q(t0: datetime, t1: datetime) -> Q:
    """巡查类立案数: filed in ``[t0, t1)`` in the patrol categories."""
    return filed_q(t0, t1) & _patrol()


def _missed() -> Q:
    reported_first = Case.objects.filter(
        duplicate_of=OuterRef("pk"),
        source__in=WORKER_SOURCES,
        created_at__lt=OuterRef("created_at"),
    )
    return Q(source__in=PUBLIC_SOURCES) & _patrol() & ~Q(Exists(reported_first))


def missed_q(t0: datetime, t1: datetime) -> Q:
    """漏报数: public reports accepted in ``[t0, t1)`` in the patrol categories that no
    worker's report merged into them had come before."""
    return _accepted(t0, t1) & _missed()


def was_overdue() -> Exists:
    """The case went past a deadline at some step (the SLA scanner's overdue record); a
    co-department's late part (协办) is its own, not the case's."""
    return Exists(
        SlaNotice.objects.filter(
            case_id=OuterRef("pk"), kind=NotificationKind.OVERDUE, department__isnull=True
        )
    )


def on_time_q() -> Q:
    """按期: no step of the case ever went overdue."""
    return ~Q(was_overdue())


def _grouped(qs, keys: Mapping[str, str], day_field, prefix: str = ""):
    """``qs`` grouped by ``keys`` and the local day of ``day_field`` (unless None); grouped by
    nothing, one row for all (``values()`` with no names would give one row per case)."""
    names = {name: F(prefix + path) for name, path in keys.items()}
    if day_field is not None:
        names["day"] = TruncDate(day_field, tzinfo=local_tz())
    if not names:
        return qs.annotate(k_all=Value(True)).values("k_all")
    return qs.annotate(**{f"k_{n}": expr for n, expr in names.items()}).values(
        *(f"k_{n}" for n in names)
    )


def _key(row: Mapping, names: Iterable[str]) -> Key:
    return tuple(row[f"k_{n}"] for n in names)


@dataclass(frozen=True)
class _Pass:
    """One set of cases counted together: those ``cases`` picks in ``[t0, t1)`` (a range over
    the index of the time column ``day``, which dates them), and what each adds to: count
    name → (``Count`` or ``Sum``, what is summed, a further filter or None)."""

    cases: Q
    day: str
    figures: dict[str, tuple[type[Aggregate], object, Q | None]]
    # Dated by a rating (a join): outside the bitmap of the case table's indexes.
    by_rating: bool = False

    def aggregates(self, *, within: Q | None = None, prefix: str = "") -> dict[str, Aggregate]:
        """The figures as aggregates, each narrowed by ``within`` too (a combined query)."""
        out = {}
        for name, (kind, expression, extra) in self.figures.items():
            only = [q for q in (within, extra) if q is not None]
            condition = functools.reduce(operator.and_, only) if only else None
            out[prefix + name] = kind(expression, filter=condition)
        return out


_COUNT = (Count, "id", None)


def _case_passes(t0: datetime, t1: datetime) -> list[_Pass]:
    """The passes over ``Case`` that count ``[t0, t1)`` (ratings are counted apart, from
    their own table). Each reads one time column's index: an OR across them in one query is
    only cheap for a short window (``_combined_counts``)."""
    public = Q(source__in=PUBLIC_SOURCES)
    own = self_resolved_q()  # counted now: filed now too
    handling = ExpressionWrapper(F("closed_at") - filed_at(), output_field=DurationField())

    def closing(cases: Q, day: str) -> _Pass:
        return _Pass(
            cases,
            day,
            {
                "closed": _COUNT,
                "closed_on_time": (Count, "id", on_time_q()),
                "reworks": (Sum, "rework_count", None),
                "handling_us": (Sum, handling, None),
                "filed": (Count, "id", own),
                "filed_public": (Count, "id", own & public),
                "patrol_filed": (Count, "id", own & _patrol()),
            },
        )

    return [
        _Pass(
            _accepted(t0, t1),
            "accepted_at",
            {
                "filed": _COUNT,
                "filed_public": (Count, "id", public),
                "patrol_filed": (Count, "id", _patrol()),
                "missed": (Count, "id", _missed()),
            },
        ),
        closing(_closed_at_close(t0, t1), "closed_at"),
        replace(closing(_closed_by_rating(t0, t1), "satisfaction__rated_at"), by_rating=True),
        # Backlog flows: every case leaves the backlog at its close, counted in the rates or
        # not; a rejected case's step clock starts when it is rejected (workflows.services).
        _Pass(
            Q(status=CaseStatus.CLOSED, closed_at__gte=t0, closed_at__lt=t1),
            "closed_at",
            {"resolved": _COUNT},
        ),
        _Pass(self_resolved_in(t0, t1), "created_at", {"self_resolved": _COUNT}),
        _Pass(Q(created_at__gte=t0, created_at__lt=t1), "created_at", {"opened": _COUNT}),
        _Pass(
            Q(status=CaseStatus.REJECTED, step_started_at__gte=t0, step_started_at__lt=t1),
            "step_started_at",
            {"resolved": _COUNT},
        ),
    ]


def _within_a_day(t0: datetime, t1: datetime) -> date | None:
    """The local day ``[t0, t1)`` lies in, or None if it spans more than one."""
    day = t0.astimezone(local_tz()).date()
    return day if t1 <= day_start(day + timedelta(days=1)) else None


def case_counts(
    t0: datetime,
    t1: datetime,
    *,
    keys: Mapping[str, str],
    by_day: bool = False,
    where: Q | None = None,
) -> dict[Key, dict[str, int]]:
    """The rollup counts of cases in ``[t0, t1)``, grouped by ``keys`` (name → path from
    ``Case``, e.g. ``{"cell": "cell_id"}``) and, with ``by_day``, by local day first.

    ``where`` narrows the cases (a scope or a parent filter, over ``Case``). A query per pass
    (``_case_passes``: accepted, closed and checked at the close, checked by a rating, closed
    (all), self-resolved, opened, rejected) and one over the ratings; within one local day
    (today, counted live on every dashboard request) the passes but the rating's share one
    query (``_combined_query``): three queries. Each is compiled once per shape
    (``assessment.compiled``). Returns ``{key tuple: counts}``.
    """
    shape = (tuple(keys.items()), by_day, where or Q())
    names = [*(["day"] if by_day else []), *keys]
    out: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUM_FIELDS, 0))
    passes = range(len(_pass_by_rating()))
    one_day = _within_a_day(t0, t1)
    if one_day is not None:
        day = (one_day,) if by_day else ()
        for row in compiled.rows(_combined_query, shape, t0, t1):
            _add_row(out[(*day, *_key(row, keys))], row, combined=True)
        passes = [i for i in passes if _pass_by_rating()[i]]
    for i in passes:
        for row in compiled.rows(_pass_query, (i, *shape), t0, t1):
            _add_row(out[_key(row, names)], row, combined=False)
    for row in compiled.rows(_ratings_query, shape, t0, t1):
        counts = out[_key(row, names)]
        counts["rated"] += row["n"]
        counts["satisfied"] += row["satisfied"]
    return dict(out)


def _add_row(counts: dict[str, int], row: Mapping, *, combined: bool) -> None:
    """Add a row's figures (its columns but the keys) to ``counts``; durations count in
    microseconds. A cell-level dashboard adds some 2,000 rows of thirty figures a request."""
    for column, figure in _figures(tuple(row), combined):
        value = row[column]
        if value:
            counts[figure] += value // _MICROSECOND if type(value) is timedelta else value


_MICROSECOND = timedelta(microseconds=1)


@functools.cache
def _figures(columns: tuple[str, ...], combined: bool) -> tuple[tuple[str, str], ...]:
    """(column, figure) for a query's figure columns: ``p<i>_<figure>`` in the combined
    query, the figure itself in the others."""
    return tuple(
        (column, column.split("_", 1)[1] if combined else column)
        for column in columns
        if not column.startswith("k_")
    )


@functools.cache
def _pass_by_rating() -> tuple[bool, ...]:
    """Which of ``_case_passes`` are dated by a rating (their own query even within a day)."""
    return tuple(each.by_rating for each in _case_passes(*compiled.MARKERS))


def _pass_query(t0: datetime, t1: datetime, index: int, keys, by_day: bool, where: Q):
    each = _case_passes(t0, t1)[index]
    rows = _grouped(
        Case.objects.order_by().filter(where, each.cases),
        dict(keys),
        each.day if by_day else None,
    )
    return rows.annotate(**each.aggregates())


def _combined_query(t0: datetime, t1: datetime, keys, by_day: bool, where: Q):
    """The passes but the rating's in one query over the cases any of them picks
    (PostgreSQL ORs the time columns' indexes: a bitmap of a day's cases), each figure
    filtered by its pass and named ``p<i>_<figure>``; the day, if asked for, is the caller's
    one day, not a column."""
    passes = [each for each in _case_passes(t0, t1) if not each.by_rating]
    picked = functools.reduce(operator.or_, (each.cases for each in passes))
    aggregates = {}
    for i, each in enumerate(passes):
        aggregates |= each.aggregates(within=each.cases, prefix=f"p{i}_")
    rows = _grouped(Case.objects.order_by().filter(where, picked), dict(keys), None)
    return rows.annotate(**aggregates)


def _ratings_query(t0: datetime, t1: datetime, keys, by_day: bool, where: Q):
    return _grouped(
        Satisfaction.objects.order_by().filter(
            _prefixed(where, "case__"), score__isnull=False, rated_at__gte=t0, rated_at__lt=t1
        ),
        dict(keys),
        "rated_at" if by_day else None,
        prefix="case__",
    ).annotate(
        n=Count("id"), satisfied=Count("id", filter=Q(score__gte=Satisfaction.SATISFIED_FROM))
    )


def _prefixed(q: Q, prefix: str) -> Q:
    """``q`` (over Case) rewritten over a model that reaches the case through ``prefix``."""
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(_prefixed(child, prefix))
        else:
            lookup, value = child
            clone.children.append((prefix + lookup, value))
    return clone


def _only(q: Q, columns: tuple[str, ...]) -> bool:
    """Whether ``q`` filters on nothing but ``columns`` (``street_id__in`` and the like)."""
    return all(
        _only(child, columns) if isinstance(child, Q) else child[0].split("__")[0] in columns
        for child in q.children
    )


def _tally_answers(where: Q | None, keys: Mapping[str, str], *ends: datetime) -> bool:
    """Whether the open-case tally (``assessment.tally``: per street and deadline day) can
    answer: PostgreSQL keeps it, nothing but streets narrows or groups the question, and
    every ``end`` is a local midnight (its deadline days decide "before")."""
    return (
        tally.maintained()
        and all(path == "street_id" for path in keys.values())
        and _only(where or Q(), ("street_id",))
        and all(day_start(timezone.localtime(end).date()) == end for end in ends)
    )


def _cell_tally_answers(where: Q | None, keys: Mapping[str, str]) -> bool:
    """Whether the per-cell tally can answer: PostgreSQL keeps it, and nothing but streets
    and cells narrows or groups the question."""
    return (
        tally.maintained()
        and bool(keys)
        and all(path == "cell_id" for path in keys.values())
        and _only(where or Q(), ("street_id", "cell_id"))
    )


def open_case_counts(
    t1: datetime, *, keys: Mapping[str, str], where: Q | None = None
) -> dict[Key, dict[str, int]]:
    """Cases open now (``open``) and, of those, the overdue ones whose deadline fell before
    ``t1`` (``overdue_open``), grouped by ``keys``: from an open-case tally when one can
    answer (per street, or per cell: its late cases less those whose deadline is at or after
    ``t1``, a range of the overdue index), else one scan of the open-case index."""
    ahead: dict[Key, int] = {}
    if _tally_answers(where, keys, t1):
        late = Q(late_day__lt=timezone.localtime(t1).date())
        grouped = _grouped(OpenCaseTally.objects.order_by().filter(where or Q()), keys, None)
        grouped = grouped.annotate(total=Sum("n"), late=Coalesce(Sum("n", filter=late), 0))
    elif _cell_tally_answers(where, keys):
        grouped = _grouped(OpenCellTally.objects.order_by().filter(where or Q()), keys, None)
        grouped = grouped.annotate(total=Sum("n"), late=Coalesce(Sum("n", filter=Q(late=True)), 0))
        not_yet = Case.objects.order_by().filter(
            where or Q(), status__in=OPEN_STATUSES, overdue=True, due_at__gte=t1
        )
        ahead = {
            _key(r, keys): r["n"] for r in _grouped(not_yet, keys, None).annotate(n=Count("*"))
        }
    else:
        qs = Case.objects.order_by().filter(where or Q(), status__in=OPEN_STATUSES)
        grouped = _grouped(qs, keys, None).annotate(
            # Only columns of the open-case index: an index-only scan (the status is its WHERE).
            total=Count("*"),
            late=Count("due_at", filter=_overdue_by(t1)),
        )
    # A key of a tally whose cases have all left sums to nothing until it is compacted.
    out = {}
    for r in grouped:
        if r["total"]:
            key = _key(r, keys)
            out[key] = {"open": r["total"], "overdue_open": r["late"] - ahead.get(key, 0)}
    return out


def _place_among(field: str, thresholds: list) -> Func:
    """PostgreSQL's ``width_bucket``: how many of ``thresholds`` (ascending) are at or before
    the row's ``field`` — a binary search per row."""
    return Func(F(field), Value(thresholds), function="width_bucket", output_field=IntegerField())


def overdue_open_before(ends: list[datetime], *, where: Q | None = None) -> tuple[int, list[int]]:
    """The cases open now, and for each of ``ends`` (local midnights, ascending) how many of
    them are overdue with a deadline before it: from the open-case tally when it can answer,
    else one scan of the open-case index.

    On PostgreSQL each overdue case (or tally row) is placed among ``ends`` by
    ``width_bucket`` (a binary search) and counted per place — as many groups as ends,
    whatever the deadlines; elsewhere the cases are grouped by their deadline's local day."""
    days = [timezone.localtime(end).date() for end in ends]
    if _tally_answers(where, {}, *ends):
        qs, n = OpenCaseTally.objects.order_by().filter(where or Q()), Sum("n")
        slot = _place_among("late_day", days)
    else:
        qs, n = Case.objects.order_by().filter(where or Q(), status__in=OPEN_STATUSES), Count("*")
        if connection.vendor == "postgresql":
            slot = _place_among("due_at", ends)
        else:
            slot = TruncDate("due_at", tzinfo=local_tz())
        slot = CaseWhen(When(overdue=True, then=slot))
    rows = list(qs.annotate(k_slot=slot).values("k_slot").annotate(cases=n))
    if connection.vendor == "postgresql":
        # width_bucket is the number of ends at or before the deadline: before the i-th end
        # (0-based) are the places 0 … i.
        def before(slot, i: int) -> bool:
            return slot <= i
    else:

        def before(slot, i: int) -> bool:
            return slot < days[i]

    late = [
        sum(r["cases"] for r in rows if r["k_slot"] is not None and before(r["k_slot"], i))
        for i in range(len(ends))
    ]
    return sum(r["cases"] for r in rows), late


def _overdue_by(t1: datetime) -> Q:
    return Q(overdue=True, due_at__lt=t1)


def overdue_open_q(t1: datetime) -> Q:
    """超期未结: open now, overdue, the deadline before ``t1`` — however long ago, so a
    period's 结案率 sees every overdue case its backlog holds."""
    return Q(status__in=OPEN_STATUSES) & _overdue_by(t1)


def backlog_q(t1: datetime) -> Q:
    """积压: open at ``t1`` — created before it, neither closed nor rejected before it."""
    return (
        Q(created_at__lt=t1)
        & ~Q(status=CaseStatus.CLOSED, closed_at__lt=t1)
        & ~Q(status=CaseStatus.REJECTED, step_started_at__lt=t1)
    )


# --- writing the rollups ----------------------------------------------------------------------


def _lock_rollups(day: date) -> None:
    """Serialise two runs over the same month (a rerun racing the nightly task)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            key = day.year * 100 + day.month
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [4242, key])


def _territory() -> dict[int, tuple[int, int, int]]:
    """cell id → (community, street, district) for every cell (one query)."""
    return {
        cell: (community, street, district)
        for cell, community, street, district in GridCell.objects.values_list(
            "id", "community_id", "community__street_id", "community__street__district_id"
        )
    }


def _insert(model, rows: list[dict]) -> None:
    """Insert plain rows (attname → value): one ``INSERT … VALUES`` per 5,000 rows on
    PostgreSQL (bulk_create spent most of a day's rollup compiling SQL), bulk_create
    elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=2000)
        return
    names = list(rows[0])
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f"INSERT INTO {table} ({columns}) VALUES %s",
            [tuple(row[n] for n in names) for row in rows],
            page_size=5000,
        )


def _write_day(
    day: date,
    counts: Mapping[Key, Mapping[str, int]],
    territory: Mapping[int, tuple[int, int, int]],
    *,
    refresh_month: bool,
) -> RolledDay:
    """Replace ``day``'s rows with ``counts`` (keyed by (cell, department)), in one
    transaction; the day's arrival rows (吹哨报到, ``assessment.arrivals``) with them."""
    write_arrival_day(day, day_start(day), day_start(day + timedelta(days=1)))
    cells: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUM_FIELDS, 0))
    departments: dict[tuple[int, int], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(SUM_FIELDS, 0)
    )
    for (cell, department), row in counts.items():
        for name, value in row.items():
            cells[cell][name] += value
            if department is not None:
                departments[(department, territory[cell][1])][name] += value
    cell_rows = [
        {
            "span": Span.DAY,
            "start": day,
            "cell_id": cell,
            "community_id": territory[cell][0],
            "street_id": territory[cell][1],
            "district_id": territory[cell][2],
            **row,
        }
        for cell, row in cells.items()
        if any(row.values())
    ]
    communities: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUM_FIELDS, 0))
    for row in cell_rows:
        for name in SUM_FIELDS:
            communities[row["community_id"]][name] += row[name]
    district_of = {street: district for _c, street, district in territory.values()}
    street_of = {community: street for community, street, _d in territory.values()}
    community_rows = [
        {
            "span": Span.DAY,
            "start": day,
            "community_id": community,
            "street_id": street_of[community],
            "district_id": district_of[street_of[community]],
            **row,
        }
        for community, row in communities.items()
    ]
    department_rows = [
        {
            "span": Span.DAY,
            "start": day,
            "department_id": department,
            "street_id": street,
            "district_id": district_of[street],
            **row,
        }
        for (department, street), row in departments.items()
        if any(row.values())
    ]
    with transaction.atomic():
        _lock_rollups(day)
        for model in (CellRollup, CommunityRollup, DepartmentRollup):
            model.objects.filter(span=Span.DAY, start=day).delete()
        _insert(CellRollup, cell_rows)
        _insert(CommunityRollup, community_rows)
        _insert(DepartmentRollup, department_rows)
        marker, _created = RolledDay.objects.update_or_create(
            day=day,
            defaults={
                "rolled_at": timezone.now(),
                "cell_rows": len(cell_rows),
                "department_rows": len(department_rows),
            },
        )
        if refresh_month:
            roll_up_month(day)
    return marker


ROLLUP_KEYS = {"cell": "cell_id", "department": "department_id"}


def roll_up_day(day: date, *, refresh_month: bool = True) -> RolledDay:
    """Replace the rollup rows of ``day`` (local) from the case table, and (by default) its
    month's rows from its days. Idempotent: running it twice leaves the same rows."""
    counts = case_counts(day_start(day), day_start(day + timedelta(days=1)), keys=ROLLUP_KEYS)
    return _write_day(day, counts, _territory(), refresh_month=refresh_month)


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


# The columns a month row is grouped by, per rollup table.
MONTH_KEYS = {
    CellRollup: ("cell_id", "community_id", "street_id", "district_id"),
    CommunityRollup: ("community_id", "street_id", "district_id"),
    DepartmentRollup: ("department_id", "street_id", "district_id"),
}


def roll_up_month(day: date) -> None:
    """Replace the month rows of ``day``'s month with the sums of its day rows, and stamp the
    month's rolled days (a backfill refreshes a month after its days, in a transaction of its
    own: the rollup generation, which keys cached sums, must change with it)."""
    first, last = month_of(day)
    sums = {name: Sum(name) for name in SUM_FIELDS}
    with transaction.atomic():
        _lock_rollups(first)
        RolledDay.objects.filter(day__range=(first, last)).update(rolled_at=timezone.now())
        for model, keys in MONTH_KEYS.items():
            model.objects.filter(span=Span.MONTH, start=first).delete()
            rows = (
                model.objects.filter(span=Span.DAY, start__range=(first, last))
                .order_by()
                .values(*keys)
                .annotate(**sums)
            )
            _insert(
                model,
                [
                    {"span": Span.MONTH, "start": first, **{k: int(v) for k, v in row.items()}}
                    for row in rows
                ],
            )


def roll_up_days(since: date, until: date, *, progress=None) -> int:
    """Roll up every day of ``[since, until]`` — counted a month at a time (the same queries
    grouped by day), written a day at a time — then each month touched. Returns the number
    of days."""
    territory = _territory()
    days = 0
    first = since
    while first <= until:
        last = min(month_of(first)[1], until)
        counts = case_counts(
            day_start(first), day_start(last + timedelta(days=1)), keys=ROLLUP_KEYS, by_day=True
        )
        by_day: dict[date, dict[Key, dict[str, int]]] = defaultdict(dict)
        for (day, *key), row in counts.items():
            by_day[day][tuple(key)] = row
        day = first
        while day <= last:
            _write_day(day, by_day.get(day, {}), territory, refresh_month=False)
            days += 1
            day += timedelta(days=1)
        roll_up_month(first)
        if progress:
            progress(first)
        first = last + timedelta(days=1)
    return days
