"""Reads of territory, scoped by the reader's assignments (DESIGN §6).

``visible_cells(user)`` answers "which cells may this user see": a worker their cells (or
their community's, when assigned to a whole community), street staff their street, a
district admin their district. ``cell_scope_q(user, path)`` gives the same answer as a Q
object over any model that reaches a cell through ``path``, so every list (residents, cases,
exports) is filtered by one rule without a subquery per row. ``territory_scope_q`` asks the
same of a street, community or district ("does it lie within what the user serves?"), and
the admin's users and assignments are scoped by it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Assignment, Department, GridCell, Role

# How each scope level reaches a cell, relative to the cell itself.
CELL_LEVEL_PATH = {
    "cell": "id",
    "community": "community_id",
    "street": "community__street_id",
    "district": "community__street__district_id",
}
# How a territory of each level reaches itself and each level that contains it: a street
# lies within an assignment to that street or to its district, never within a cell's.
WITHIN_PATH = {
    "district": {"district": "id"},
    "street": {"street": "id", "district": "district_id"},
    "community": {"community": "id", "street": "street_id", "district": "street__district_id"},
    "cell": CELL_LEVEL_PATH,
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
    community_id, cell_id), each level reached through ``path + level_paths[level]``; rows of
    a level missing from ``level_paths`` (narrower than what is filtered) match nothing.
    No rows: a Q that matches nothing."""
    targets: dict[str, set[int]] = {level: set() for level in level_paths}
    for scope, district, street, community, cell in rows:
        if scope not in targets:
            continue
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


# An assignment as a row: what the gate, the pages' role checks and intake's territory check
# read of it.
ASSIGNMENT_ROW = (
    "role",
    "scope",
    "district_id",
    "street_id",
    "community_id",
    "cell_id",
    "department_id",
)
AssignmentRow = tuple[str, str, int | None, int | None, int | None, int | None, int | None]


def assignment_rows(user) -> list[AssignmentRow]:
    """``user``'s assignments current today as rows of ``ASSIGNMENT_ROW``."""
    return list(active_assignments(user).values_list(*ASSIGNMENT_ROW))


def _scope_rows(user, *, on: date | None, roles: Iterable[str] | None) -> list[ScopeRow]:
    assignments = active_assignments(user, on=on)
    if roles is not None:
        assignments = assignments.filter(role__in=list(roles))
    return list(
        assignments.values_list("scope", "district_id", "street_id", "community_id", "cell_id")
    )


def territory_scope_q(
    user,
    level: str,
    path: str = "",
    *,
    on: date | None = None,
    roles: Iterable[str] | None = None,
) -> Q:
    """A Q that keeps rows whose territory of ``level`` (district, street, community or cell,
    reached through ``path``) lies within one the user serves.

    ``path`` is the lookup prefix from the filtered model to that territory, e.g. ``"cell__"``
    for a Household's cell. ``roles`` narrows to assignments of those roles. A superuser sees
    all; a user with no active assignment nothing. One query (the user's assignments).
    """
    if getattr(user, "is_superuser", False):
        return Q()
    rows = _scope_rows(user, on=on, roles=roles)
    return territory_q(rows, level_paths=WITHIN_PATH[level], path=path)


def cell_scope_q(
    user, path: str = "", *, on: date | None = None, roles: Iterable[str] | None = None
) -> Q:
    """A Q that keeps rows whose cell (reached through ``path``) the user may see
    (``territory_scope_q`` for cells)."""
    return territory_scope_q(user, "cell", path, on=on, roles=roles)


def assignment_scope_q(user, *, on: date | None = None) -> Q:
    """A Q over ``Assignment`` keeping those (current or not) whose territory lies within one
    the user serves in a territorial role: street staff see assignments to their street and
    to its communities and cells, not their district's. One query."""
    if getattr(user, "is_superuser", False):
        return Q()
    rows = _scope_rows(user, on=on, roles=TERRITORIAL_ROLES)
    q = Q(pk__in=[])
    for level, level_paths in WITHIN_PATH.items():
        q |= Q(scope=level) & territory_q(rows, level_paths=level_paths, path=f"{level}__")
    return q


def users_visible_to(user) -> QuerySet:
    """Accounts ``user`` may manage: those with an assignment (current or not) in their scope
    (``assignment_scope_q``), never a superuser's; a superuser, every account. A new account
    with no assignment yet is a superuser's to assign."""
    users = get_user_model().objects.all()
    if getattr(user, "is_superuser", False):
        return users
    in_scope = Assignment.objects.filter(assignment_scope_q(user), user=OuterRef("pk"))
    return users.filter(Exists(in_scope), is_superuser=False)


def department_scope_q(user) -> Q:
    """A Q over ``Department`` keeping those whose territory (its community, else its street,
    else its whole district) lies within one the user serves in a territorial role."""
    if getattr(user, "is_superuser", False):
        return Q()
    rows = _scope_rows(user, on=None, roles=TERRITORIAL_ROLES)
    by_community = Q(community__isnull=False) & territory_q(
        rows, level_paths=WITHIN_PATH["community"], path="community__"
    )
    by_street = Q(community__isnull=True, street__isnull=False) & territory_q(
        rows, level_paths=WITHIN_PATH["street"], path="street__"
    )
    district_wide = Q(community__isnull=True, street__isnull=True) & territory_q(
        rows, level_paths=WITHIN_PATH["district"], path="district__"
    )
    return by_community | by_street | district_wide


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
