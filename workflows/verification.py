"""Who verifies a result (核查): never the one who fixed it; usually a grid worker of the
case's cell; for a configurable share of cases a worker of another cell (交叉核查), since
collusion between reporters, handlers and street staff is a documented failure of real grid
systems (DESIGN §4).

Which cases go to another cell must not be foreseeable: a reporter, handler or street staff
member who could tell that a case will be checked by a friendly neighbour could arrange the
rest. So the draw is random (the operating system's CSPRNG, ``secrets``), made when the
verifier is chosen, and kept in the event's payload, where replay and audits find it; the
worker of the other cell is drawn the same way.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from cases.models import Case
from grids.models import Assignment, Role

DEFAULT_CROSS_CHECK_SHARE = 0.2
VERIFIER_ROLES = frozenset({Role.GRID_WORKER})
VERIFIER_ROLES_SERVICE = frozenset({Role.GRID_WORKER, Role.FUNCTIONAL_WORKER})
# Draws are multiples of 1/DRAW_STEPS in [0, 1): fine enough for any share anyone sets.
DRAW_STEPS = 1_000_000


def draw() -> float:
    """A uniform random number in [0, 1), unpredictable from anything stored."""
    return secrets.randbelow(DRAW_STEPS) / DRAW_STEPS


def _grid_workers(q: Q, *, exclude: set[int | None], roles: frozenset[str]) -> list[int]:
    ids = (
        Assignment.objects.active()
        .filter(q, role__in=sorted(roles))
        .exclude(user_id__in=[pk for pk in exclude if pk is not None])
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    return list(ids)


def choose_verifier(case: Case, *, fixer_id: int | None) -> tuple[int, bool, dict]:
    """``(verifier user id, cross_check, record)`` for a case awaiting verification.

    A service case may also be verified by a functional worker (功能性网格员) of the place,
    a grid worker or not; any other case by grid workers only.

    By default a grid worker of the case's cell (or its community) other than ``fixer_id``
    (the handler, or the worker who resolved it on the spot) — the reporter if they are one.
    When a random draw falls below ``settings.CROSS_CHECK_SHARE``, and whenever the cell has
    nobody else, a grid worker of another cell of the same street, drawn at random. Raises
    ``ValidationError`` when nobody may verify.

    ``record`` is what the event keeps: ``draw`` (in [0, 1)), ``share``, ``cross_check`` and
    ``reason`` — ``drawn`` (the draw decided), ``nobody else in the cell`` (sent across
    although not drawn) or ``nobody in another cell`` (drawn, but the street has no other
    worker: kept in the cell).
    """
    community_id = case.cell.community_id
    roles = VERIFIER_ROLES_SERVICE if case.category.is_service else VERIFIER_ROLES
    own = _grid_workers(
        Q(cell_id=case.cell_id) | Q(community_id=community_id), exclude={fixer_id}, roles=roles
    )
    share = float(getattr(settings, "CROSS_CHECK_SHARE", DEFAULT_CROSS_CHECK_SHARE))
    value = draw()
    drawn = value < share

    def chosen(verifier: int, cross: bool, reason: str) -> tuple[int, bool, dict]:
        record = {"draw": value, "share": share, "cross_check": cross, "reason": reason}
        return verifier, cross, record

    if not drawn and own:
        return chosen(case.reporter_id if case.reporter_id in own else own[0], False, "drawn")
    others = _grid_workers(
        Q(cell__community__street_id=case.street_id) & ~Q(cell_id=case.cell_id),
        exclude={fixer_id, *own},
        roles=roles,
    )
    if others:
        return chosen(secrets.choice(others), True, "drawn" if drawn else "nobody else in the cell")
    if own:
        verifier = case.reporter_id if case.reporter_id in own else own[0]
        return chosen(verifier, False, "nobody in another cell")
    raise ValidationError(
        _("No grid worker of cell %(cell)s can verify this case; assign one first.")
        % {"cell": case.cell}
    )


def assign_verifier(case: Case, *, fixer_id: int | None) -> dict:
    """Set the case's verifier and cross-check flag (``choose_verifier``); return the draw's
    record for the event."""
    case.verifier_id, case.cross_check, record = choose_verifier(case, fixer_id=fixer_id)
    return record
