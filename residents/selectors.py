"""Reads of households and residents, scoped by the reader's assignments (DESIGN §6). This
module is the one place deciding who sees which residents, and how much of them.

Two levels, both from assignments:

- **Visible** (the resident is listed at all, masked): grid and functional workers (their
  cells, community or street), street staff (their street), district admins (their
  district), superusers (all). Volunteers see no personal data (DESIGN §1). Handlers are
  left out too: they act on cases dispatched to their department (DESIGN §6), and a
  district-wide 物业/职能部门 account must not list a million residents.
- **Served** (name, address and sensitive tags whole): those whose job is to serve the
  resident — grid and functional workers of the resident's cell (or community, or street),
  and street staff of the street, whose office runs the 民政 services (低保, 残疾人 cards)
  the tags are about. District admins and superusers oversee rather than serve: they see
  ``王*``, the road without the door, a count of sensitive tags, and the whole values only
  through the logged reveal (``services.reveal_resident_pii``). Serving is a job, not a
  privilege, so a superuser serves only where an assignment says so.

Querysets from ``residents_visible_to`` and ``households_visible_to`` carry a ``served``
column computed in the same query, which ``display`` reads row by row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import BooleanField, ExpressionWrapper, Max, Min, Q, QuerySet, Value
from django.utils import timezone

from grids.models import Assignment, GridCell, Role
from grids.selectors import CELL_LEVEL_PATH, active_assignments, territory_q, user_roles

from .models import Household, PIIAccessLog, PIIListLog, Resident, Tag, Visit

RESIDENT_ROLES: frozenset[str] = frozenset(
    {Role.GRID_WORKER, Role.FUNCTIONAL_WORKER, Role.STREET_STAFF, Role.DISTRICT_ADMIN}
)
SERVING_ROLES: frozenset[str] = frozenset(
    {Role.GRID_WORKER, Role.FUNCTIONAL_WORKER, Role.STREET_STAFF}
)

_NOTHING = Q(pk__in=[])


def _scope_qs(user, path: str) -> tuple[Q, Q | None]:
    """(visible, served) as Q objects over rows reaching a cell through ``path``, from one
    read of the user's assignments. ``served`` is None when the user serves nowhere."""
    if not getattr(user, "is_authenticated", False):
        return _NOTHING, None
    rows = list(
        active_assignments(user)
        .filter(role__in=RESIDENT_ROLES)
        .values_list("role", "scope", "district_id", "street_id", "community_id", "cell_id")
    )
    visible = (
        Q()
        if user.is_superuser
        else territory_q([row[1:] for row in rows], level_paths=CELL_LEVEL_PATH, path=path)
    )
    serving = [row[1:] for row in rows if row[0] in SERVING_ROLES]
    served = territory_q(serving, level_paths=CELL_LEVEL_PATH, path=path) if serving else None
    return visible, served


def _served_column(served: Q | None) -> ExpressionWrapper | Value:
    if served is None:
        return Value(False)
    return ExpressionWrapper(served, output_field=BooleanField())


def residents_visible_to(user) -> QuerySet[Resident]:
    """Residents the user may see, each with ``served`` (True: the user serves them)."""
    visible, served = _scope_qs(user, "cell__")
    return (
        Resident.objects.filter(visible)
        .annotate(served=_served_column(served))
        .select_related("household", "cell__community")
    )


def households_visible_to(user) -> QuerySet[Household]:
    """Households the user may see, by the same rule, each with ``served``."""
    visible, served = _scope_qs(user, "cell__")
    return (
        Household.objects.filter(visible)
        .annotate(served=_served_column(served))
        .select_related("cell__community")
    )


def households_served_by(user) -> QuerySet[Household]:
    """Households in the cells the user serves (where they may register and visit)."""
    _, served = _scope_qs(user, "cell__")
    return Household.objects.filter(served if served is not None else _NOTHING).select_related(
        "cell__community"
    )


def residents_served_by(user) -> QuerySet[Resident]:
    _, served = _scope_qs(user, "cell__")
    return Resident.objects.filter(served if served is not None else _NOTHING)


def serves_anyone(user) -> bool:
    """Does the user serve any cell (and so see some names, addresses, sensitive tags)?"""
    return _scope_qs(user, "")[1] is not None


def resident_scope_q(user, path: str) -> Q:
    """The visibility rule as a Q over residents reached through ``path`` (e.g.
    ``"residents__"`` from a Tag), for counts that must not include residents out of scope."""
    return _scope_qs(user, f"{path}cell__")[0]


@dataclass(frozen=True)
class VisitDue:
    household: Household
    every_days: int
    last_visit: datetime | None

    @property
    def due_at(self) -> datetime | None:
        """When the next visit falls due; ``None`` if the household was never visited."""
        return self.last_visit + timedelta(days=self.every_days) if self.last_visit else None


def show_tags(residents: Iterable[Resident]) -> None:
    """Set ``shown_tags`` on each resident (tags prefetched): the ticked tags, then the derived
    ones (老年人 …) the resident carries today. One query, for the derived tags."""
    derived = list(Tag.objects.filter(min_age__isnull=False))
    for resident in residents:
        resident.shown_tags = list(resident.tags.all()) + resident.derived_tags(derived)


def households_due_visit(
    user, *, now: datetime | None = None, limit: int = 20, household_id: int | None = None
) -> list[VisitDue]:
    """Households in the cells the user serves that are due a visit (走访), most overdue first.

    A household is due when one of its residents (not moved out) carries a tag with
    ``visit_every_days`` — ticked, or derived from the birth date — (the shortest such
    interval counts) and its last visit is older
    than that, or it was never visited. Small queries, each on an index (residents by cell —
    one more for the derived tags, and one per derived tag with an interval —, visits by
    household, the households shown), so a cell's worth of rows is read,
    not the district's. ``household_id`` narrows it to one household (after an undo).
    """
    now = now or timezone.now()
    residents = residents_served_by(user)
    if household_id is not None:
        residents = residents.filter(household_id=household_id)
    every = dict(
        residents.filter(tags__visit_every_days__isnull=False, moved_out_at__isnull=True)
        .order_by()
        .values("household_id")
        .annotate(every_days=Min("tags__visit_every_days"))
        .values_list("household_id", "every_days")
    )
    # Derived tags (老年人 from the birth date) with an interval count like ticked ones.
    for tag in Tag.objects.filter(min_age__isnull=False, visit_every_days__isnull=False):
        aged = residents.with_tag(tag, on=timezone.localdate(now)).living()
        for household_id in aged.order_by().values_list("household_id", flat=True).distinct():
            every[household_id] = min(
                every.get(household_id, tag.visit_every_days), tag.visit_every_days
            )
    last = dict(
        Visit.objects.filter(household_id__in=list(every))
        .order_by()
        .values("household_id")
        .annotate(last=Max("visited_at"))
        .values_list("household_id", "last")
    )
    due = [
        (pk, days, last.get(pk))
        for pk, days in every.items()
        if last.get(pk) is None or last[pk] + timedelta(days=days) <= now
    ]
    # Never visited first, then the longest overdue.
    due.sort(key=lambda d: (d[2] is not None, d[2] + timedelta(days=d[1]) if d[2] else now, d[0]))
    due = due[:limit]
    households = Household.objects.only("id", "address", "cell_id").in_bulk([d[0] for d in due])
    return [
        VisitDue(household=households[pk], every_days=days, last_visit=last_visit)
        for pk, days, last_visit in due
    ]


def cells_open_to(user) -> QuerySet[GridCell]:
    """Cells where the user may register households and residents: those they serve (an
    overseer would type a name they are then not shown)."""
    _, served = _scope_qs(user, "")
    return GridCell.objects.filter(served if served is not None else _NOTHING).select_related(
        "community"
    )


def can_reveal_pii_in_bulk(user) -> bool:
    """May the user use bulk reveal tools (the admin action)? Superusers and district admins."""
    if getattr(user, "is_superuser", False):
        return True
    return Role.DISTRICT_ADMIN in user_roles(user)


def _log_scope_q(user) -> Q:
    """Access-log rows the user may read: a superuser all, a district admin those of anyone
    who works in their district (and their own), anyone else with a current assignment their
    own; someone whose assignments all ended, nothing (an ended assignment grants nothing)."""
    if user.is_superuser:
        return Q()
    if not active_assignments(user).exists():
        return _NOTHING
    districts = active_assignments(user).filter(role=Role.DISTRICT_ADMIN).values("district_id")
    colleagues = Assignment.objects.filter(
        Q(district__in=districts)
        | Q(street__district__in=districts)
        | Q(community__street__district__in=districts)
        | Q(cell__community__street__district__in=districts)
    ).values("user_id")
    return Q(user=user) | Q(user_id__in=colleagues)


def reveal_logs_visible_to(user) -> QuerySet[PIIAccessLog]:
    return PIIAccessLog.objects.filter(_log_scope_q(user)).select_related("user", "resident")


def list_logs_visible_to(user) -> QuerySet[PIIListLog]:
    return PIIListLog.objects.filter(_log_scope_q(user)).select_related("user")
