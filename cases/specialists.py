"""Which functional worker (功能性网格员) a service case goes to (DESIGN §8).

A service category names a specialty (``Category.specialty``, else its major class's); the
case goes to a functional worker of that specialty whose current assignment covers the
case's cell. The narrowest assignment wins: the cell's own functional worker before one
assigned to the whole community, before one assigned to the street. Among several at the
same level, the one with the fewest open service cases in hand gets it (fair: work is
spread, and nobody is skipped for ever), and equal loads go to the lowest user id
(deterministic: the same data always give the same choice, so routing can be replayed and
tested). No such worker: ``None``, and the case goes on as any other (a routing rule's
department, else the street's queue). A specialty switched off (``Specialty.is_active``)
routes to nobody: the district has stopped that service through functional workers.
"""

from __future__ import annotations

from django.db.models import Count, Q

from grids.models import Assignment, GridCell, Role

from .models import OPEN_STATUSES, Case, Category

# Narrowest first: the order in which assignments of each scope are preferred.
_LEVELS = ("cell", "community", "street")


def _covering(cell: GridCell) -> Q:
    """Assignments whose territory holds ``cell``: the cell, its community, or the street
    the community is in now (from the cell, not a case's copy of its street)."""
    return (
        Q(cell_id=cell.pk)
        | Q(community_id=cell.community_id)
        | Q(street__communities=cell.community_id)
    )


def functional_worker_for(*, category: Category, cell: GridCell) -> int | None:
    """The user id of the functional worker who should handle a ``category`` case in
    ``cell`` (see the module docstring), or ``None``. Two queries: the candidates' assignments
    and, only when several tie at the narrowest level, their open loads."""
    specialty_id = category.routing_specialty_id
    if specialty_id is None:
        return None
    rows = (
        Assignment.objects.active()
        .filter(
            _covering(cell),
            role=Role.FUNCTIONAL_WORKER,
            specialty_id=specialty_id,
            specialty__is_active=True,
        )
        .values_list("scope", "user_id")
        .distinct()
    )
    by_level: dict[str, set[int]] = {}
    for scope, user_id in rows:
        by_level.setdefault(scope, set()).add(user_id)
    for level in _LEVELS:
        if candidates := by_level.get(level):
            return _least_loaded(sorted(candidates))
    return None


def _least_loaded(candidates: list[int]) -> int:
    if len(candidates) == 1:
        return candidates[0]
    loads = dict(
        Case.objects.filter(
            handler_id__in=candidates, department__isnull=True, status__in=OPEN_STATUSES
        )
        .order_by()
        .values("handler_id")
        .annotate(n=Count("id"))
        .values_list("handler_id", "n")
    )
    return min(candidates, key=lambda user_id: (loads.get(user_id, 0), user_id))


def serves_case(*, user_id: int, case: Case) -> bool:
    """Is ``user_id`` a functional worker of the case's specialty whose current assignment
    covers its cell (the rule a dispatch to a worker is held to: the same coverage as
    ``functional_worker_for``)?"""
    specialty_id = case.category.routing_specialty_id
    if specialty_id is None:
        return False
    return (
        Assignment.objects.active()
        .filter(
            _covering(case.cell),
            user_id=user_id,
            role=Role.FUNCTIONAL_WORKER,
            specialty_id=specialty_id,
            specialty__is_active=True,
        )
        .exists()
    )
