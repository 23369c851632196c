"""Auto-dispatch (DESIGN §4): an accepted case goes to the department a routing rule names."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError

from cases.models import Case, CaseStatus
from cases.selectors import route_for

from .errors import TransitionNotAllowed

logger = logging.getLogger(__name__)


def route_case(case_id: int, version: int | None = None) -> int | None:
    """Dispatch an accepted case where a routing rule names a department.

    Idempotent: a case that is no longer ``accepted`` (dispatched by staff or by an earlier
    delivery), that has moved past ``version`` (the accept that owed this — a case the
    department returned is accepted again, but must not go straight back), that has vanished,
    or that no rule covers is left alone. Returns the department id dispatched to, else None.
    """
    from .services import dispatch_case  # the services record effects that call this

    case = Case.objects.select_related("category", "cell").filter(pk=case_id).first()
    if case is None or case.status != CaseStatus.ACCEPTED:
        return None
    if version is not None and case.version != version:
        return None
    department = route_for(category=case.category, cell=case.cell)
    if department is None:
        return None
    try:
        dispatch_case(case_id=case_id, by=None, department_id=department.pk)
    except TransitionNotAllowed:  # dispatched meanwhile: this delivery has nothing to do
        return None
    except ValidationError as exc:  # a stale rule: the case waits in the street's queue
        logger.warning("route_case %s: rule to %s refused: %s", case_id, department, exc)
        return None
    return department.pk
