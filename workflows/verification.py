"""Who verifies a result (核查): never the one who fixed it; usually a grid worker of the
case's cell; for a configurable share of cases a worker of another cell (交叉核查), since
collusion between reporters, handlers and street staff is a documented failure of real grid
systems (DESIGN §4)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from cases.models import Case
from grids.models import Assignment, Role

DEFAULT_CROSS_CHECK_SHARE = 0.2


def cross_check_drawn(*, case_id: int, rework_count: int, share: float) -> bool:
    """Whether this verification goes to another cell: a deterministic draw per case and
    round of rework, true for about ``share`` of them."""
    digest = hashlib.sha256(f"{case_id}:{rework_count}".encode()).hexdigest()
    return int(digest[:8], 16) / 16**8 < share


def _grid_workers(q: Q, *, exclude: set[int | None]) -> list[int]:
    ids = (
        Assignment.objects.active()
        .filter(q, role=Role.GRID_WORKER)
        .exclude(user_id__in=[pk for pk in exclude if pk is not None])
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    return list(ids)


def choose_verifier(case: Case, *, fixer_id: int | None) -> tuple[int, bool]:
    """``(verifier user id, cross_check)`` for a case awaiting verification.

    By default a grid worker of the case's cell (or its community) other than ``fixer_id``
    (the handler, or the worker who resolved it on the spot) — the reporter if they are one.
    For about ``settings.CROSS_CHECK_SHARE`` of cases (deterministic per case and rework
    round), and whenever the cell has nobody else, a grid worker of another cell of the same
    street. Raises ``ValidationError`` when nobody may verify.
    """
    community_id = case.cell.community_id
    own = _grid_workers(Q(cell_id=case.cell_id) | Q(community_id=community_id), exclude={fixer_id})
    share = getattr(settings, "CROSS_CHECK_SHARE", DEFAULT_CROSS_CHECK_SHARE)
    drawn = cross_check_drawn(case_id=case.pk, rework_count=case.rework_count, share=share)
    if not drawn:
        if case.reporter_id in own:
            return case.reporter_id, False
        if own:
            return own[0], False
    # Drawn for cross-check — or nobody of the cell may verify (a one-worker cell whose worker
    # fixed it on the spot): a grid worker of another cell of the same street.
    others = _grid_workers(
        Q(cell__community__street_id=case.street_id) & ~Q(cell_id=case.cell_id),
        exclude={fixer_id, *own},
    )
    if others:
        digest = hashlib.sha256(f"verifier:{case.pk}:{case.rework_count}".encode()).digest()
        return others[int.from_bytes(digest[:4]) % len(others)], True
    if own:
        return (case.reporter_id if case.reporter_id in own else own[0]), False
    raise ValidationError(
        _("No grid worker of cell %(cell)s can verify this case; assign one first.")
        % {"cell": case.cell}
    )


def assign_verifier(case: Case, *, fixer_id: int | None) -> None:
    case.verifier_id, case.cross_check = choose_verifier(case, fixer_id=fixer_id)
