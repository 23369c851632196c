"""Drill-down: the cases behind a figure of the indicator table, exactly (DESIGN §5).

A figure (立案数, 结案数, 积压 …) of one unit over one period names a set of cases; this module
turns it into a filter over ``Case`` built from the same predicates ``rollups.case_counts``
counts with, so the list under a tile or a ranking cell is the figure, case for case (the
tests compare the two for every figure and level). Rates drill into their denominator (the
numerator is a subset, shown beside).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from cases.selectors import cases_visible_to

from .arrivals import arrival_q
from .rollups import (
    PUBLIC_SOURCES,
    backlog_q,
    closed_q,
    day_start,
    filed_q,
    missed_q,
    on_time_q,
    overdue_open_q,
    patrol_filed_q,
    self_resolved_in,
)
from .selectors import AssessmentScope, Filters, Unit, case_side, units_of

Window = tuple[datetime, datetime]


def _rated(t0: datetime, t1: datetime) -> Q:
    return Q(
        satisfaction__score__isnull=False,
        satisfaction__rated_at__gte=t0,
        satisfaction__rated_at__lt=t1,
    )


def _satisfied(t0: datetime, t1: datetime) -> Q:
    from .models import Satisfaction

    return _rated(t0, t1) & Q(satisfaction__score__gte=Satisfaction.SATISFIED_FROM)


# figure → (label, the cases it counts in [t0, t1)). Counts "now" (overdue, backlog) use t1.
FIGURES: dict[str, tuple[str, Callable[[datetime, datetime], Q] | None]] = {
    "filed": (_("Cases filed (立案数)"), filed_q),
    "filed_public": (
        _("Public reports filed (群众举报立案数)"),
        lambda t0, t1: filed_q(t0, t1) & Q(source__in=PUBLIC_SOURCES),
    ),
    "self_resolved": (_("Resolved on the spot (自行处置数)"), self_resolved_in),
    "closed": (_("Closed (结案数)"), closed_q),
    "closed_on_time": (
        _("Closed on time (按期结案数)"),
        lambda t0, t1: closed_q(t0, t1) & on_time_q(),
    ),
    "overdue_open": (_("Overdue, still open (超期未结)"), lambda t0, t1: overdue_open_q(t1)),
    "due": (
        _("Due (应结案数)"),
        lambda t0, t1: closed_q(t0, t1) | overdue_open_q(t1),
    ),
    "backlog": (_("Backlog (积压)"), lambda t0, t1: backlog_q(t1)),
    "rated": (_("Rated by residents (参评数)"), _rated),
    "satisfied": (_("Satisfied residents (满意数)"), _satisfied),
    "patrol_filed": (_("Filed in patrol categories (巡查类立案数)"), patrol_filed_q),
    "missed": (_("Public reports a patrol missed (漏报数)"), missed_q),
    # 吹哨报到, departments only: the cases of the summonses counted (assessment.arrivals).
    "summoned": (_("Cases a department was summoned to (吹哨数)"), None),
    "checked_in_on_time": (_("Cases a department checked in on time (按时报到数)"), None),
}
ARRIVAL_FIGURES = ("summoned", "checked_in_on_time")
# The figures a worker answers for only on the days they served the cell.
SERVED_FIGURES = ("patrol_filed", "missed")

_LEVEL_Q = {
    "district": "street__district_id",
    "street": "street_id",
    "community": "cell__community_id",
    "cell": "cell_id",
    "department": "department_id",
}


def _bounds(first: date, last: date) -> Window:
    return day_start(first), day_start(last + timedelta(days=1))


def figure_q(figure: str, *, level: str, unit: Unit, filters: Filters) -> Q:
    """The cases ``figure`` counts for ``unit`` (of ``level``) over the period."""
    predicate = FIGURES[figure][1]
    if figure in ARRIVAL_FIGURES:
        if level != "department":
            return Q(pk__in=[])
        t0, t1 = _bounds(filters.start, filters.end)
        return arrival_q(figure, department=unit.id, t0=t0, t1=t1)
    if level != "worker":
        return Q(**{_LEVEL_Q[level]: unit.id}) & predicate(*_bounds(filters.start, filters.end))
    if figure not in SERVED_FIGURES:
        return Q(cell_id__in=unit.cells) & predicate(*_bounds(filters.start, filters.end))
    q = Q(pk__in=[])
    for cell, windows in unit.windows.items():
        for first, last in windows:
            q |= Q(cell_id=cell) & predicate(*_bounds(first, last))
    return q


def figure_cases(
    *, user, scope: AssessmentScope, level: str, unit_id: int, figure: str, filters: Filters
) -> QuerySet[Case] | None:
    """The cases behind ``figure`` of the unit, as ``user`` sees them (newest first); None
    when the unit is not one of the level's units in the reader's scope (a 404)."""
    unit = next((u for u in units_of(level, scope, filters) if u.id == unit_id), None)
    if unit is None:
        return None
    where = case_side(level, scope, filters).where
    return (
        cases_visible_to(user)
        .filter(where, figure_q(figure, level=level, unit=unit, filters=filters))
        .order_by("-created_at", "-id")
    )
