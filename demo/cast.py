"""Who behaves how in the demo: each department keeps one way of working for all 90 days,
clearly apart from the others, so the assessment sorts them into different grades whatever
the exact weights (DESIGN §5: A ≥ 90 … E < 40) — and a newcomer sees why.

- 城管 (urban management, the demo handler's): every step early, nothing returned or redone;
- 民政 (civil affairs): every other case finished late;
- 住建 (housing): every case finished late, some twice over the limit (red);
- 居委会 (residents' committee): late, every result redone once, every fourth case returned
  ("not ours") and every third left unfinished;
- 物业 (property management): starts late or never, finishes nothing — the overdue board.
"""

from __future__ import annotations

from dataclasses import dataclass

from grids.models import DepartmentKind as K


@dataclass(frozen=True)
class Behaviour:
    grade: str  # the grade this way of working earns: what the demo sets out to show
    weight: int  # share of the dispatched cases
    late: int = 0  # every ``late``-th case finishes past its limit (1: all; 0: none)
    rework: bool = False  # every result fails verification once
    returns: int = 0  # every ``returns``-th case is sent back to the street once
    stuck: int = 0  # every ``stuck``-th case is never finished (1: none is)

    def is_late(self, n: int) -> bool:
        return bool(self.late) and n % self.late == 0

    def returns_case(self, n: int) -> bool:
        return bool(self.returns) and n % self.returns == 1

    def leaves_stuck(self, n: int) -> bool:
        return bool(self.stuck) and n % self.stuck == 0


PROMPT = Behaviour(grade="A", weight=3)
BEHAVIOURS: dict[str, Behaviour] = {
    K.URBAN_MANAGEMENT: Behaviour(grade="A", weight=34),
    K.CIVIL_AFFAIRS: Behaviour(grade="B", weight=16, late=2),
    K.HOUSING: Behaviour(grade="C", weight=13, late=1),
    K.RESIDENTS_COMMITTEE: Behaviour(grade="D", weight=13, late=1, rework=True, returns=4, stuck=3),
    K.PROPERTY_MANAGEMENT: Behaviour(grade="E", weight=10, stuck=1),
    K.FIRE: PROMPT,
    K.POLICE: PROMPT,
    K.HEALTH: PROMPT,
}
# Where a department sends back what is "not ours": the street dispatches it to 城管.
REDIRECT_TO = K.URBAN_MANAGEMENT


def behaviour_of(kind: str) -> Behaviour:
    return BEHAVIOURS.get(kind, PROMPT)
