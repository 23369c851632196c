"""Reads of households and residents, scoped by the reader's assignments (DESIGN §6).

Who sees residents: grid and functional workers (their cells or community), street staff
(their street), district admins (their district), superusers (all). Volunteers see no
personal data (DESIGN §1). Handlers are left out too: they act on cases dispatched to their
department (DESIGN §6), and a district-wide 物业/职能部门 account must not list a million
residents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from grids.models import GridCell, Role
from grids.selectors import cell_scope_q, user_roles

from .models import (
    Household,
    PIIAccessLog,
    Resident,
    Visit,
    id_number_hash_of,
    phone_hash_of,
)
from .validators import looks_like_id_number

RESIDENT_ROLES: frozenset[str] = frozenset(
    {Role.GRID_WORKER, Role.FUNCTIONAL_WORKER, Role.STREET_STAFF, Role.DISTRICT_ADMIN}
)


def residents_visible_to(user) -> QuerySet[Resident]:
    """Residents whose cell the user serves in a role that may see personal data."""
    return Resident.objects.filter(
        cell_scope_q(user, "cell__", roles=set(RESIDENT_ROLES))
    ).select_related("household", "cell__community")


def households_visible_to(user) -> QuerySet[Household]:
    """Households the user may see, by the same rule as ``residents_visible_to``."""
    return Household.objects.filter(
        cell_scope_q(user, "cell__", roles=set(RESIDENT_ROLES))
    ).select_related("cell__community")


def access_logs_visible_to(user) -> QuerySet[PIIAccessLog]:
    """Whole views of personal data about residents the user may see (the audit trail of
    their territory), by the same rule as ``residents_visible_to``. Rows whose resident was
    deleted belong to no territory: superusers only."""
    return PIIAccessLog.objects.filter(
        cell_scope_q(user, "resident__cell__", roles=set(RESIDENT_ROLES))
    ).select_related("user", "resident")


@dataclass(frozen=True)
class VisitDue:
    household: Household
    every_days: int
    last_visit: datetime | None

    @property
    def due_at(self) -> datetime | None:
        """When the next visit falls due; ``None`` if the household was never visited."""
        return self.last_visit + timedelta(days=self.every_days) if self.last_visit else None


def households_due_visit(user, *, now: datetime | None = None, limit: int = 20) -> list[VisitDue]:
    """Households in the user's cells that are due a visit (走访), most overdue first.

    A household is due when one of its residents carries a tag with ``visit_every_days``
    (the shortest such interval counts) and its last visit is older than that, or it was
    never visited. Three small queries, each on an index (residents by cell, visits by
    household, the households shown), so a cell's worth of rows is read, not the district's.
    """
    now = now or timezone.now()
    every = dict(
        residents_visible_to(user)
        .filter(tags__visit_every_days__isnull=False)
        .order_by()
        .values("household_id")
        .annotate(every_days=Min("tags__visit_every_days"))
        .values_list("household_id", "every_days")
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
    """Cells where the user may register households and residents (same rule as above)."""
    return GridCell.objects.filter(cell_scope_q(user, roles=set(RESIDENT_ROLES))).select_related(
        "community"
    )


def can_reveal_pii_in_bulk(user) -> bool:
    """May the user use bulk reveal tools (the admin action)? Superusers and district admins."""
    if getattr(user, "is_superuser", False):
        return True
    return Role.DISTRICT_ADMIN in user_roles(user)


def find_resident_by_id_number(user, id_number: str) -> Resident | None:
    """The resident in the user's scope with this ID number (as typed), or None.

    Matches on the keyed hash: the encrypted column cannot be searched.
    """
    if not looks_like_id_number(id_number):
        return None
    return residents_visible_to(user).filter(id_number_hash=id_number_hash_of(id_number)).first()


def find_residents_by_phone(user, phone: str) -> QuerySet[Resident]:
    """Residents in the user's scope with this phone (any usual CN spelling); none if the
    text is not a valid CN phone."""
    try:
        digest = phone_hash_of(phone)
    except ValidationError:
        return Resident.objects.none()
    if not digest:
        return Resident.objects.none()
    return residents_visible_to(user).filter(phone_hash=digest)
