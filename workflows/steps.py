"""Which step of a case owes what (DESIGN §4).

``Case.version`` counts every event, a worker's note added to the case (补充, ``supplement``)
too: it numbers the events and guards concurrent writes, but it does not say where the case
is. A step (the intake's ``create`` event, a transition, a resident's reopen request) owes its
notices and its routing as long as no later *step* was taken, whatever notes came in between;
and those notices tell of the step's own event, found by its ``seq``.
"""

from __future__ import annotations

from collections.abc import Iterable

from cases.models import CaseEvent

INTAKE = 1  # the seq of a case's ``create`` event
SUPPLEMENT = "supplement"
NOT_STEPS = frozenset({SUPPLEMENT})  # events that leave the case where it was


def moved_on(case_ids: Iterable[int], *, since: int) -> set[int]:
    """The cases among ``case_ids`` on which a step was taken after their event ``since``.
    One query, whatever the number of cases."""
    return set(
        CaseEvent.objects.filter(case_id__in=list(case_ids), seq__gt=since)
        .exclude(action__in=NOT_STEPS)
        .values_list("case_id", flat=True)
        .distinct()
    )
