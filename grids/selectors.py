"""Reads of territory, scoped by the reader's assignments (DESIGN §6).

``visible_cells(user)`` answers "which cells may this user see": a worker their cells (or
their community's, when assigned to a whole community), street staff their street, a
district admin their district. ``cell_scope_q(user, path)`` gives the same answer as a Q
object over any model that reaches a cell through ``path``, so every list (residents, cases,
exports) is filtered by one rule without a subquery per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet

from .models import Assignment, Department, GridCell, Role

# How each scope level reaches a cell, relative to the cell itself.
CELL_LEVEL_PATH = {
    "cell": "id",
    "community": "community_id",
    "street": "community__street_id",
    "district": "community__street__district_id",
}
# Roles whose scope is the territory of their assignment (a handler's is their department).
TERRITORIAL_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.FUNCTIONAL_WORKER,
        Role.VOLUNTEER,
        Role.STREET_STAFF,
        Role.DISTRICT_ADMIN,
    }
)

ScopeRow = tuple[str, int | None, int | None, int | None, int | None]


def territory_q(rows: Iterable[ScopeRow], *, level_paths: dict[str, str], path: str = "") -> Q:
    """A Q matching the territories named by assignment rows (scope, district_id, street_id,
    community_id, cell_id), each level reached through ``path + level_paths[level]``.
    No rows: a Q that matches nothing."""
    targets: dict[str, set[int]] = {level: set() for level in level_paths}
    for scope, district, street, community, cell in rows:
        targets[scope].add(
            {"district": district, "street": street, "community": community, "cell": cell}[scope]
        )
    q = Q(pk__in=[])
    for level, ids in targets.items():
        if ids:
            q |= Q(**{f"{path}{level_paths[level]}__in": sorted(ids)})
    return q


def active_assignments(user, *, on: date | None = None) -> QuerySet[Assignment]:
    if not getattr(user, "is_authenticated", False):
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(user=user)
        .active(on)
        .select_related("district", "street", "community", "cell", "department")
    )


def user_roles(user, *, on: date | None = None) -> set[str]:
    return set(active_assignments(user, on=on).values_list("role", flat=True))


def cell_scope_q(
    user, path: str = "", *, on: date | None = None, roles: Iterable[str] | None = None
) -> Q:
    """A Q that keeps rows whose cell (reached through ``path``) the user may see.

    ``path`` is the lookup prefix from the filtered model to its GridCell, e.g. ``"cell__"``
    for a Household. ``roles`` narrows to assignments of those roles. A superuser sees all;
    a user with no active assignment sees nothing.
    """
    if getattr(user, "is_superuser", False):
        return Q()
    assignments = active_assignments(user, on=on)
    if roles is not None:
        assignments = assignments.filter(role__in=list(roles))
    rows = assignments.values_list("scope", "district_id", "street_id", "community_id", "cell_id")
    return territory_q(rows, level_paths=CELL_LEVEL_PATH, path=path)


def visible_cells(
    user, *, on: date | None = None, roles: Iterable[str] | None = None
) -> QuerySet[GridCell]:
    """Cells the user serves (in ``roles``, if given), with their community and street."""
    return (
        GridCell.objects.filter(cell_scope_q(user, on=on, roles=roles))
        .select_related("community__street__district")
        .order_by("full_code")
    )


def departments_visible_to(user) -> QuerySet[Department]:
    """Active departments of the districts the user serves (the dispatch targets they see)."""
    districts = visible_cells(user).order_by().values("community__street__district")
    return Department.objects.filter(is_active=True, district__in=districts).order_by(
        "kind", "name", "id"
    )


def can_see_cell(
    user, cell_id: int, *, on: date | None = None, roles: Iterable[str] | None = None
) -> bool:
    return GridCell.objects.filter(cell_scope_q(user, on=on, roles=roles), pk=cell_id).exists()
