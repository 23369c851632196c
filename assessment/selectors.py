"""Reads of the assessment: indicator tables and trends, scoped by the reader (DESIGN §5, §6).

Who sees what: district admins their district, street staff their street (and the
departments' work within it), a superuser everything; anyone else may not read assessments
(``assessment_scope`` returns None, the API answers 403). Numbers come from the rollups for
rolled-up days, from the case table for the rest (today), and — being "now" quantities —
the overdue-open and backlog counts always from the case table.

Every function here runs a fixed number of queries, whatever the number of units.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from grids.models import Assignment, Community, Department, District, GridCell, Role, Street
from grids.selectors import active_assignments

from .arrivals import add_arrivals, department_arrivals
from .indicators import (
    COUNT_FIELDS,
    FALLBACK_SCHEME,
    NOW_COUNTS,
    Scheme,
    add_counts,
    empty_counts,
    indicator_row,
    map_row,
)
from .models import (
    CellRollup,
    CommunityRollup,
    DepartmentRollup,
    GradingScheme,
    RolledDay,
    Span,
)
from .rollups import (
    case_counts,
    day_start,
    month_of,
    open_case_counts,
    overdue_open_before,
)
from .survey import survey_by_bucket, survey_counts, survey_rate

LEVELS = ("district", "street", "community", "cell", "department", "worker")
ASSESSING_ROLES = (Role.STREET_STAFF, Role.DISTRICT_ADMIN)
# Grid workers are assessed on the cells they patrol (漏报率 is theirs).
ASSESSED_WORKER_ROLES = (Role.GRID_WORKER,)
# How each level is reached: its rollup table, the key column there, the path from Case.
_ROLLUP_KEY = {
    "district": "district_id",
    "street": "street_id",
    "community": "community_id",
    "cell": "cell_id",
    "worker": "cell_id",
    "department": "department_id",
}
# The column of Case each level is counted by — no joins: a district's and a community's
# counts are mapped from their streets' and cells' in Python (``CaseSide.remap``); joining
# the territory tables cost more than the counting itself at 2M cases. (A community's few —
# today's cases, the open ones — are grouped through the join: ``CaseSide.joined``.)
_CASE_KEY = {
    "district": "street_id",
    "street": "street_id",
    "community": "cell_id",
    "cell": "cell_id",
    "worker": "cell_id",
    "department": "department_id",
}
# Parent filters: the column on each rollup table.
_PARENT_ROLLUP = {"district": "district_id", "street": "street_id", "community": "community_id"}


@dataclass(frozen=True)
class AssessmentScope:
    """The territory a reader may assess: everything, or some districts and streets."""

    everything: bool = False
    districts: frozenset[int] = field(default_factory=frozenset)
    streets: frozenset[int] = field(default_factory=frozenset)

    def q(self, *, district: str, street: str | None) -> Q:
        """A Q keeping rows whose district/street (reached by those paths) are in scope.
        ``street`` None: serving a street does not open the row (a district's totals)."""
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        if self.districts:
            q |= Q(**{f"{district}__in": sorted(self.districts)})
        if self.streets and street is not None:
            q |= Q(**{f"{street}__in": sorted(self.streets)})
        return q


def assessment_scope(user) -> AssessmentScope | None:
    """What ``user`` may assess, or None if they may not read assessments at all."""
    if getattr(user, "is_superuser", False):
        return AssessmentScope(everything=True)
    rows = list(
        active_assignments(user)
        .filter(role__in=ASSESSING_ROLES)
        .values_list("scope", "district_id", "street_id")
    )
    if not rows:
        return None
    return AssessmentScope(
        districts=frozenset(d for scope, d, _s in rows if scope == "district"),
        streets=frozenset(s for scope, _d, s in rows if scope == "street"),
    )


def load_schemes() -> dict[str, Scheme]:
    """Grading schemes by community type ("" is the default)."""
    schemes = {row.community_type: Scheme.of(row) for row in GradingScheme.objects.all()}
    schemes.setdefault("", FALLBACK_SCHEME)
    return schemes


# --- periods over rollups ---------------------------------------------------------------------


def span_q(first: date, last: date, *, last_rolled: date | None = None) -> Q:
    """Rollup rows covering ``[first, last]`` exactly: month rows for whole months inside it,
    day rows for the days around them.

    A month row holds the sum of its rolled-up days (every day's rollup refreshes it), so
    when ``last`` is the last rolled-up day, its month's row also stands for the days from
    the 1st to ``last`` — the current month is one row, not one per day.
    """
    months: list[date] = []
    month = first if first.day == 1 else month_of(first)[1] + timedelta(days=1)
    while month <= last and (month_of(month)[1] <= last or last == last_rolled):
        months.append(month)
        month = month_of(month)[1] + timedelta(days=1)
    if not months:
        return Q(span=Span.DAY, start__range=(first, last))
    q = Q(span=Span.MONTH, start__in=months)
    if first < months[0]:
        q |= Q(span=Span.DAY, start__range=(first, months[0] - timedelta(days=1)))
    after = month_of(months[-1])[1] + timedelta(days=1)
    if after <= last:
        q |= Q(span=Span.DAY, start__range=(after, last))
    return q


def last_rolled_day() -> date | None:
    return RolledDay.objects.aggregate(last=Max("day"))["last"]


def _rollup_model(level: str):
    """Departments and cells have their own rows; districts, streets and communities are
    summed from the community rows (a tenth of the cell rows)."""
    if level == "department":
        return DepartmentRollup
    return CellRollup if level in ("cell", "worker") else CommunityRollup


def rollup_generation() -> str:
    """What the rollup tables hold, in a word that changes whenever a day is rolled up (each
    roll-up stamps its day's ``RolledDay`` in the transaction that writes the rows)."""
    row = RolledDay.objects.aggregate(last=Max("day"), newest=Max("rolled_at"), days=Count("pk"))
    newest = row["newest"].isoformat() if row["newest"] else ""
    return f"{row['last']}/{newest}/{row['days']}"


# A period's rolled-up sums stand until the next roll-up (the night's, or a backfill), which
# changes the generation in their key; a day keeps them whatever happens in between.
ROLLUP_SUMS_SECONDS = 24 * 3600
# The sums this process read last, by the token the cache holds beside them: a reload reads
# the token (a few bytes) instead of the sums (3,000 cells' counts, ~40 ms to fetch and
# unpickle). A token is new with each computation, so sums the cache no longer holds — a
# roll-up, an eviction, a test's rolled-back cache — are never taken from here.
_KEPT_SUMS: OrderedDict[str, dict] = OrderedDict()
_KEPT_SUMS_MAX = 8


def _rollup_sums(
    level: str, first: date, last: date, where: Q, *, last_rolled: date | None
) -> dict[int | None, dict[str, int]]:
    """The level's rollup rows covering ``[first, last]`` summed per unit (unit → counts;
    shared, not to be changed): computed once per roll-up for all processes (the cache),
    and kept by each process that read them (``_KEPT_SUMS``)."""
    parts = (level, first, last, last_rolled, where, COUNT_FIELDS, rollup_generation())
    key = "rollup-unit-sums:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    token = cache.get(f"{key}:token")
    if token in _KEPT_SUMS:
        _KEPT_SUMS.move_to_end(token)
        return _KEPT_SUMS[token]
    packed = cache.get(key) if token else None
    if packed is None:
        packed = _summed(level, first, last, where, last_rolled=last_rolled)
        token = uuid.uuid4().hex
        cache.set_many({key: packed, f"{key}:token": token}, ROLLUP_SUMS_SECONDS)
    sums = {unit: dict(zip(COUNT_FIELDS, values, strict=True)) for unit, values in packed.items()}
    _KEPT_SUMS[token] = sums
    while len(_KEPT_SUMS) > _KEPT_SUMS_MAX:
        _KEPT_SUMS.popitem(last=False)
    return sums


def _summed(
    level: str, first: date, last: date, where: Q, *, last_rolled: date | None
) -> dict[int | None, tuple[int, ...]]:
    """Per unit, the sums of ``COUNT_FIELDS`` over the level's rollup rows in the span."""
    rows = (
        _rollup_model(level)
        .objects.filter(where, span_q(first, last, last_rolled=last_rolled))
        .order_by()
        .values_list(_ROLLUP_KEY[level])
        .annotate(**{name: Sum(name) for name in COUNT_FIELDS})
    )
    return {unit: tuple(int(value or 0) for value in row) for unit, *row in rows}


@dataclass
class Filters:
    """The period and the parent unit a table is narrowed to (ids; None: not given)."""

    start: date
    end: date
    district: int | None = None
    street: int | None = None
    community: int | None = None
    cell: int | None = None

    def parents(self) -> dict[str, int]:
        return {
            name: getattr(self, name)
            for name in ("district", "street", "community", "cell")
            if getattr(self, name) is not None
        }


def _rollup_where(level: str, scope: AssessmentScope, filters: Filters) -> Q:
    """Q over the level's rollup table: scope and parent filters."""
    rollup_q = scope.q(district="district_id", street="street_id")
    for name, value in filters.parents().items():
        if name == "cell":
            has_cells = _rollup_model(level) is CellRollup
            rollup_q &= Q(cell_id=value) if has_cells else Q(pk__in=[])
        else:
            rollup_q &= Q(**{_PARENT_ROLLUP[name]: value})
    return rollup_q


@dataclass
class CaseSide:
    """How to count cases for a level: ``where`` (scope and parents, over Case), the
    grouping ``keys``, and ``remap`` from a key value to the level's unit (None: the same).

    ``joined`` names the unit through a join (a community's cells): for a few thousand
    cases — today's, the open ones — grouping by the unit in the database returns a tenth
    of the rows; over a period's millions, grouping by the column and mapping in Python is
    cheaper (``grouping``)."""

    where: Q
    keys: dict[str, str]
    load_remap: Callable[[], dict[int, int]] | None = None
    streets: list[int] = field(default_factory=list)  # the streets ``where`` keeps
    joined: dict[str, str] | None = None

    @cached_property
    def remap(self) -> dict[int, int] | None:
        return None if self.load_remap is None else self.load_remap()

    def unit(self, key: int | None) -> int | None:
        return key if self.remap is None else self.remap.get(key)

    def grouping(self, *, few: bool) -> tuple[dict[str, str], Callable[[int | None], int | None]]:
        """The keys to group by and how a key maps to its unit, for ``few`` cases or many."""
        if few and self.joined is not None:
            return self.joined, _same
        return self.keys, self.unit


def _same(key: int | None) -> int | None:
    return key


def case_side(level: str, scope: AssessmentScope, filters: Filters) -> CaseSide:
    """The case side of ``level``: the streets in scope as a list of ids (one query; a
    second for the cells when communities are counted over a long live stretch)."""
    streets = Street.objects.filter(scope.q(district="district_id", street="id"))
    if filters.district is not None:
        streets = streets.filter(district_id=filters.district)
    if filters.street is not None:
        streets = streets.filter(pk=filters.street)
    street_rows = list(streets.order_by().values_list("id", "district_id"))
    street_ids = sorted(street for street, _district in street_rows)
    where = Q(street_id__in=street_ids)
    if filters.community is not None:
        where &= Q(cell__community_id=filters.community)
    if filters.cell is not None:
        where &= Q(cell_id=filters.cell)
    keys = {"unit": _CASE_KEY[level]}
    if level == "district":
        return CaseSide(where, keys, lambda: dict(street_rows), street_ids)
    if level == "community":

        def cells() -> dict[int, int]:
            return dict(
                GridCell.objects.filter(community__street_id__in=street_ids)
                .order_by()
                .values_list("id", "community_id")
            )

        return CaseSide(where, keys, cells, street_ids, joined={"unit": "cell__community_id"})
    return CaseSide(where, keys, None, street_ids)


_NOW_ZEROS = dict.fromkeys(NOW_COUNTS, 0)


def unit_counts(
    level: str, scope: AssessmentScope, filters: Filters
) -> dict[int | None, dict[str, int]]:
    """Counts per unit of ``level`` (cell ids for the worker level) over the period."""
    rollup_q = _rollup_where(level, scope, filters)
    cases = case_side(level, scope, filters)
    today = timezone.localdate()
    start, end = filters.start, min(filters.end, today)
    out: dict[int | None, dict[str, int]] = defaultdict(empty_counts)
    last = last_rolled_day()
    rolled_to = min(end, last) if last and last >= start else start - timedelta(days=1)
    if rolled_to >= start:
        rolled = _rollup_sums(level, start, rolled_to, rollup_q, last_rolled=last)
        out.update((unit, {**_NOW_ZEROS, **sums}) for unit, sums in rolled.items())
    if rolled_to < end:
        t0 = day_start(rolled_to + timedelta(days=1))
        t1 = min(day_start(end + timedelta(days=1)), timezone.now())
        keys, unit_of = cases.grouping(few=t1 - t0 <= timedelta(days=1))
        for (unit,), row in case_counts(t0, t1, keys=keys, where=cases.where).items():
            add_counts(out[unit_of(unit)], row)
    keys, unit_of = cases.grouping(few=True)  # the open cases: a few percent
    now_counts = open_case_counts(
        day_start(filters.end + timedelta(days=1)), keys=keys, where=cases.where
    )
    open_now: dict[int | None, int] = defaultdict(int)
    for (unit,), row in now_counts.items():
        out[unit_of(unit)]["overdue_open"] += row["overdue_open"]
        open_now[unit_of(unit)] += row["open"]
    backlog = backlog_at(level, end, rollup_q, cases, last=last, open_now=open_now)
    for unit, n in backlog.items():
        out[unit]["backlog"] += n
    return out


def backlog_at(
    level: str,
    end: date,
    rollup_q: Q,
    cases: CaseSide,
    *,
    last: date | None,
    open_now: dict,
) -> dict:
    """Cases open at the end of ``end`` per unit: open now (``open_now``, per unit), less
    what opened since, plus what was closed or rejected since."""
    backlog = dict(open_now)
    today = timezone.localdate()
    if end >= today:
        return backlog
    first_after = end + timedelta(days=1)
    rolled_to = min(last, today - timedelta(days=1)) if last else end
    if rolled_to >= first_after:
        sums = _rollup_sums(level, first_after, rolled_to, rollup_q, last_rolled=last)
        for unit, row in sums.items():
            backlog[unit] = backlog.get(unit, 0) - row["opened"] + row["resolved"]
    live_from = max(first_after, rolled_to + timedelta(days=1))
    t0 = day_start(live_from)
    keys, unit_of = cases.grouping(few=timezone.now() - t0 <= timedelta(days=1))
    live = case_counts(t0, timezone.now(), keys=keys, where=cases.where)
    for (key_value,), row in live.items():
        unit = unit_of(key_value)
        backlog[unit] = backlog.get(unit, 0) - row["opened"] + row["resolved"]
    return backlog


# --- units ------------------------------------------------------------------------------------


@dataclass
class Unit:
    id: int
    code: str
    name: str
    community_type: str = ""
    cells: tuple[int, ...] = ()
    # A worker's days in each cell within the period (from their assignments): 漏报 is theirs
    # only while they served there.
    windows: dict[int, list[tuple[date, date]]] = field(default_factory=dict)


# What a unit's row shows, read as plain tuples (no model instance per row).
_UNIT_COLUMNS = ("id", "full_code", "name")


def units_of(level: str, scope: AssessmentScope, filters: Filters) -> list[Unit]:
    """The units of ``level`` in scope and under the parent filters, with what a row shows.
    One query (two for workers)."""
    parents = filters.parents()

    def narrowed(qs, paths: dict[str, str]):
        for name, value in parents.items():
            if name not in paths:
                return qs.none()
            qs = qs.filter(**{paths[name]: value})
        return qs

    if level == "district":
        qs = narrowed(
            District.objects.filter(scope.q(district="id", street=None)), {"district": "id"}
        )
        return [Unit(*row) for row in qs.order_by("full_code").values_list(*_UNIT_COLUMNS)]
    if level == "street":
        qs = narrowed(
            Street.objects.filter(scope.q(district="district_id", street="id")),
            {"district": "district_id", "street": "id"},
        )
        return [Unit(*row) for row in qs.order_by("full_code").values_list(*_UNIT_COLUMNS)]
    if level == "community":
        qs = narrowed(
            Community.objects.filter(scope.q(district="street__district_id", street="street_id")),
            {"district": "street__district_id", "street": "street_id", "community": "id"},
        )
        return [Unit(*row) for row in qs.order_by("full_code").values_list(*_UNIT_COLUMNS, "type")]
    cell_paths = {
        "district": "community__street__district_id",
        "street": "community__street_id",
        "community": "community_id",
        "cell": "id",
    }
    cells_in_scope = narrowed(
        GridCell.objects.filter(
            scope.q(district="community__street__district_id", street="community__street_id")
        ),
        cell_paths,
    )
    if level == "cell":
        return [
            Unit(
                c["id"],
                c["full_code"],
                c["name"],
                c["community__type"],
            )
            for c in cells_in_scope.order_by("full_code").values(
                "id", "full_code", "name", "community__type"
            )
        ]
    if level == "department":
        return _departments(scope, filters)
    return _workers(cells_in_scope, filters)


def _departments(scope: AssessmentScope, filters: Filters) -> list[Unit]:
    if filters.community is not None or filters.cell is not None:
        return []
    qs = Department.objects.all()
    if not scope.everything:
        qs = qs.filter(
            Q(district_id__in=sorted(scope.districts))
            | Q(district__streets__in=sorted(scope.streets))
            & (Q(street__isnull=True) | Q(street_id__in=sorted(scope.streets)))
        ).distinct()
    if filters.district is not None:
        qs = qs.filter(district_id=filters.district)
    if filters.street is not None:
        qs = qs.filter(Q(street__isnull=True) | Q(street_id=filters.street))
        qs = qs.filter(district__streets=filters.street)
    return [
        Unit(d.pk, str(d.pk), d.name) for d in qs.order_by("kind", "name", "id").only("id", "name")
    ]


def _workers(cells_in_scope, filters: Filters) -> list[Unit]:
    """Grid workers who served cells in scope during the period (a community assignment: all
    its cells), with the days they served each."""
    cells = {
        c["id"]: c
        for c in cells_in_scope.values("id", "full_code", "community_id", "community__type")
    }
    by_community: dict[int, list[int]] = defaultdict(list)
    for c in cells.values():
        by_community[c["community_id"]].append(c["id"])
    assignments = (
        Assignment.objects.filter(role__in=ASSESSED_WORKER_ROLES, valid_from__lte=filters.end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=filters.start))
        .filter(Q(cell_id__in=list(cells)) | Q(community_id__in=list(by_community)))
        .select_related("user")
        .order_by("user__username", "id")
    )
    units: dict[int, Unit] = {}
    for a in assignments:
        mine = [a.cell_id] if a.scope == "cell" else sorted(by_community.get(a.community_id, []))
        unit = units.get(a.user_id)
        if unit is None:
            first = cells[mine[0]]
            unit = units[a.user_id] = Unit(
                a.user_id,
                a.user.username,
                getattr(a.user, "display_name", "") or a.user.username,
                first["community__type"],
            )
        unit.cells = tuple(sorted({*unit.cells, *mine}))
        window = (max(a.valid_from, filters.start), min(a.valid_to or filters.end, filters.end))
        for cell in mine:
            unit.windows.setdefault(cell, []).append(window)
    return list(units.values())


# --- 漏报 per worker ----------------------------------------------------------------------------

PATROL_FIELDS = ("patrol_filed", "missed")


def _patrol_by_cell_day(units: list[Unit], filters: Filters) -> dict[tuple[int, date], dict]:
    """The patrol counts of the workers' cells per (cell, day) of the period: day rollups,
    then the case table for the days not rolled up (two queries, or a few more today)."""
    cells = sorted({cell for unit in units for cell in unit.cells})
    out: dict[tuple[int, date], dict] = defaultdict(lambda: dict.fromkeys(PATROL_FIELDS, 0))
    if not cells:
        return out
    today = timezone.localdate()
    start, end = filters.start, min(filters.end, today)
    last = last_rolled_day()
    rolled_to = min(end, last) if last and last >= start else start - timedelta(days=1)
    rows = (
        CellRollup.objects.filter(
            Q(patrol_filed__gt=0) | Q(missed__gt=0),
            span=Span.DAY,
            cell_id__in=cells,
            start__range=(start, rolled_to),
        )
        .order_by()
        .values("cell_id", "start", *PATROL_FIELDS)
    )
    for row in rows:
        add_counts(out[(row["cell_id"], row["start"])], row)
    if rolled_to < end:
        live = case_counts(
            day_start(rolled_to + timedelta(days=1)),
            min(day_start(end + timedelta(days=1)), timezone.now()),
            keys={"cell": "cell_id"},
            by_day=True,
            where=Q(cell_id__in=cells),
        )
        for (day, cell), row in live.items():
            add_counts(out[(cell, day)], {k: row[k] for k in PATROL_FIELDS})
    return out


def _served(unit: Unit, patrol: dict[tuple[int, date], dict]) -> dict[str, int]:
    """The patrol counts of ``unit``'s cells on the days the worker served them."""
    total = dict.fromkeys(PATROL_FIELDS, 0)
    for (cell, day), row in patrol.items():
        if any(first <= day <= last for first, last in unit.windows.get(cell, ())):
            add_counts(total, row)
    return total


# --- the indicator table ----------------------------------------------------------------------


DRILLDOWN_PAGE = "/dashboard/cases/"
DRILLDOWN_API = "/api/v1/indicators/cases/"


def _drill_query(level: str, filters: Filters) -> tuple[str, str]:
    """A unit's drill-down query (add ``&figure=…``) is ``head + unit id + tail``: the same
    for every unit but its id, so it is encoded once per table."""
    tail = urlencode(
        {"start": filters.start.isoformat(), "end": filters.end.isoformat(), **filters.parents()}
    )
    return f"{urlencode({'level': level})}&unit=", f"&{tail}"


def _links(level: str, filters: Filters) -> Callable[[Unit], dict[str, str]]:
    """Where a unit's figures drill down to (add ``&figure=…``): the page and the API."""
    head, tail = _drill_query(level, filters)

    def links(unit: Unit) -> dict[str, str]:
        query = f"{head}{unit.id}{tail}"
        return {"page": f"{DRILLDOWN_PAGE}?{query}", "api": f"{DRILLDOWN_API}?{query}"}

    return links


def map_links(level: str, filters: Filters) -> dict[str, str]:
    """The drill-down page of any unit of a map: ``page_head`` + id + ``page_tail``."""
    head, tail = _drill_query(level, filters)
    return {"page_head": f"{DRILLDOWN_PAGE}?{head}", "page_tail": tail}


def _unit_totals(level: str, scope: AssessmentScope, filters: Filters, units: list[Unit]):
    """(unit, its counts over the period) for each unit."""
    counts = unit_counts(level, scope, filters)
    patrol = _patrol_by_cell_day(units, filters) if level == "worker" else {}
    for unit in units:
        if level == "worker":
            unit_total = empty_counts()
            for cell in unit.cells:
                add_counts(unit_total, counts.get(cell, {}))
            unit_total.update(_served(unit, patrol))
        else:
            unit_total = counts.get(unit.id, empty_counts())
        yield unit, unit_total


def indicator_table(*, level: str, scope: AssessmentScope, filters: Filters) -> list[dict]:
    """One row per unit of ``level`` in scope: counts, indicators, score, grade and links.
    A fixed number of queries (about a dozen) whatever the number of units."""
    schemes = load_schemes()
    units = units_of(level, scope, filters)
    surveys = survey_counts(level, scope, filters)
    links = _links(level, filters)
    rows = []
    for unit, unit_total in _unit_totals(level, scope, filters, units):
        scheme = schemes.get(unit.community_type) or schemes[""]
        row = indicator_row(unit_total, scheme)
        _add_survey(row, surveys.get(unit.id, (0, 0)))
        rows.append(
            {
                "level": level,
                "id": unit.id,
                "code": unit.code,
                "name": unit.name,
                "community_type": unit.community_type or None,
                **row,
                "links": links(unit),
            }
        )
    if level == "department":  # 吹哨报到: 报到率 and arrival time (assessment.arrivals)
        add_arrivals(rows, _arrivals(scope, filters))
    return rows


def map_table(*, level: str, scope: AssessmentScope, filters: Filters) -> list[dict]:
    """One row per unit of ``level`` in scope with what a map shows of it (``map_row``): the
    same counts as ``indicator_table``, without the figures a map does not show."""
    schemes = load_schemes()
    units = units_of(level, scope, filters)
    return [
        {"id": unit.id, **map_row(unit_total, schemes.get(unit.community_type) or schemes[""])}
        for unit, unit_total in _unit_totals(level, scope, filters, units)
    ]


def _arrivals(scope: AssessmentScope, filters: Filters) -> dict[int, dict]:
    """Each department's summons counts in scope over the period: rolled-up days, then live."""
    streets = case_side("department", scope, filters).streets
    end = min(filters.end, timezone.localdate())
    last = last_rolled_day()
    rolled_to = min(end, last) if last and last >= filters.start else None
    live_from = rolled_to + timedelta(days=1) if rolled_to else filters.start
    live = (day_start(live_from), min(day_start(end + timedelta(days=1)), timezone.now()))
    return department_arrivals(
        streets=streets, first=filters.start, last=end, rolled_to=rolled_to, live=live
    )


# --- trends -----------------------------------------------------------------------------------


def _bucket_of(day: date, bucket: str) -> date:
    return day.replace(day=1) if bucket == "month" else day


def _bucket_end(first: date, bucket: str) -> date:
    """The day after the bucket starting ``first``."""
    return (month_of(first)[1] if bucket == "month" else first) + timedelta(days=1)


def trend(*, scope: AssessmentScope, filters: Filters, bucket: str) -> list[dict]:
    """The indicators of everything in scope (narrowed by the parent filters), per day or
    per month of the period: one row per bucket, oldest first."""
    level = "cell" if filters.cell is not None else "community"
    model = _rollup_model(level)
    rollup_q = _rollup_where(level, scope, filters)
    cases = case_side("street", scope, filters)
    case_q = cases.where
    today = timezone.localdate()
    start, end = filters.start, min(filters.end, today)
    buckets: dict[date, dict[str, int]] = {}
    day = start
    while day <= filters.end:
        buckets.setdefault(_bucket_of(day, bucket), empty_counts())
        day += timedelta(days=1)
    last = last_rolled_day()
    rolled_to = min(end, last) if last and last >= start else start - timedelta(days=1)
    if rolled_to >= start:
        spans = (
            span_q(start, rolled_to, last_rolled=last)
            if bucket == "month"
            else Q(span=Span.DAY, start__range=(start, rolled_to))
        )
        rows = (
            model.objects.filter(rollup_q, spans)
            .order_by()
            .values("start")
            .annotate(**{name: Sum(name) for name in COUNT_FIELDS})
        )
        for row in rows:  # a month row's start is its first day: the month bucket
            add_counts(buckets[_bucket_of(max(row["start"], start), bucket)], row)
    if rolled_to < end:
        live = case_counts(
            day_start(rolled_to + timedelta(days=1)),
            min(day_start(end + timedelta(days=1)), timezone.now()),
            keys={},
            by_day=True,
            where=case_q,
        )
        for (day,), row in live.items():
            add_counts(buckets[_bucket_of(day, bucket)], row)
    # Overdue at each bucket's end: every open overdue case whose deadline came before it
    # (and before the end of the period).
    last_end = day_start(filters.end + timedelta(days=1))
    ends = sorted({min(day_start(_bucket_end(first, bucket)), last_end) for first in buckets})
    open_now, late = overdue_open_before(ends, where=case_q)
    late_at = dict(zip(ends, late, strict=True))
    for first, counts in buckets.items():
        counts["overdue_open"] += late_at[min(day_start(_bucket_end(first, bucket)), last_end)]
    # Backlog at each bucket's end, walking back from the end of the period.
    total_open = {None: open_now}
    backlog = sum(backlog_at(level, end, rollup_q, cases, last=last, open_now=total_open).values())
    schemes = load_schemes()
    surveys = survey_by_bucket(scope, filters, bucket_of=lambda day: _bucket_of(day, bucket))
    out = []
    for first in sorted(buckets, reverse=True):
        counts = buckets[first]
        counts["backlog"] = backlog if first <= end else 0
        if first <= end:
            backlog += counts["resolved"] - counts["opened"]
        row = {"period": first.isoformat(), **indicator_row(counts, schemes[""])}
        _add_survey(row, surveys.get(first, (0, 0)))
        out.append(row)
    return out[::-1]


def _add_survey(row: dict, answers_satisfied: tuple[int, int]) -> None:
    answers, satisfied = answers_satisfied
    row["counts"]["survey_answers"] = answers
    row["counts"]["survey_satisfied"] = satisfied
    row["indicators"]["survey_rate"] = survey_rate(answers, satisfied)
