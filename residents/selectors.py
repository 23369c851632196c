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

from .models import Household, Resident, id_number_hash_of, phone_hash_of
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
    never visited. One query.
    """
    now = now or timezone.now()
    rows = (
        households_visible_to(user)
        .filter(residents__tags__visit_every_days__isnull=False)
        .annotate(
            every_days=Min("residents__tags__visit_every_days"),
            last_visit=Max("visits__visited_at"),
        )
        .order_by()
    )
    due = [
        VisitDue(household=h, every_days=h.every_days, last_visit=h.last_visit)
        for h in rows
        if h.last_visit is None or h.last_visit + timedelta(days=h.every_days) <= now
    ]
    # Never visited first, then the longest overdue.
    due.sort(key=lambda d: (d.due_at is not None, d.due_at or now, d.household.address))
    return due[:limit]


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
