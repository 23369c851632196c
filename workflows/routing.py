"""Auto-dispatch (DESIGN §4, §8): an accepted service case goes to the functional worker of its
specialty serving the cell (``cases.specialists``); any other case, a service case no such
worker serves, or one whose worker the dispatch refuses (an assignment ended meanwhile:
logged), to the department a routing rule names; otherwise it waits in the street's queue."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError

from cases.models import Case, CaseStatus
from cases.selectors import route_for
from cases.specialists import functional_worker_for

from . import steps
from .errors import TransitionNotAllowed

logger = logging.getLogger(__name__)


def route_case(case_id: int, version: int | None = None) -> int | None:
    """Dispatch an accepted case to its functional worker (a service case whose specialty
    someone serves in the cell), else where a routing rule names a department.

    Idempotent: a case that is no longer ``accepted`` (dispatched by staff or by an earlier
    delivery), that a later step moved on since its event ``version`` (the accept that owed
    this — a case the department returned is accepted again, but must not go straight back;
    a note added to the case is no step: ``workflows.steps``), that has vanished,
    or that no rule covers is left alone. Returns the department id dispatched to (for a
    functional worker: None, with the worker as the case's handler), else None.
    """
    # the services record effects that call this
    from .services import dispatch_case, dispatch_to_functional_worker

    case = Case.objects.select_related("category", "cell").filter(pk=case_id).first()
    if case is None or case.status != CaseStatus.ACCEPTED:
        return None
    if version is not None and steps.moved_on([case_id], since=version):
        return None
    worker_id = functional_worker_for(category=case.category, cell=case.cell)
    if worker_id is not None:
        try:
            dispatch_to_functional_worker(case_id=case_id, by=None, worker_id=worker_id)
            return None
        except TransitionNotAllowed:  # dispatched meanwhile
            return None
        except ValidationError as exc:  # their assignment changed since: the department's route
            logger.warning(
                "route_case %s: functional worker %s refused: %s", case_id, worker_id, exc
            )
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
