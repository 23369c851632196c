"""Who behaves how in the demo: each department keeps one way of working for all 90 days,
clearly apart from the others, so the assessment sorts them into different grades whatever
the exact weights (DESIGN §5: A ≥ 90 … E < 40) — and a newcomer sees why.

A behaviour is a pattern, one letter per case the department is given to finish, repeating:
``.`` on time, ``L`` late (past the limit, marked overdue by the scanner), ``R`` late and
redone once (返工), ``S`` stuck (never finished: overdue, then red), ``X`` returned to the
street as "not ours" (回退; the street sends it to 城管).

- 城管 (urban management, the demo handler's): everything on time — A;
- 民政 (civil affairs): every other case late — B;
- 住建 (housing): every case late — C;
- 居委会 (residents' committee): late and redone, one in four stuck, one in four returned — D;
- 物业 (property management): finishes nothing — E, and the overdue board.
"""

from __future__ import annotations

from dataclasses import dataclass

from grids.models import DepartmentKind as K


@dataclass(frozen=True)
class Behaviour:
    grade: str  # the grade this way of working earns: what the demo sets out to show
    weight: int  # share of the dispatched cases
    pattern: str = "."

    def letter(self, n: int) -> str:
        """What happens to the department's ``n``-th case to finish (from 0)."""
        return self.pattern[n % len(self.pattern)]


PROMPT = Behaviour(grade="A", weight=2)
BEHAVIOURS: dict[str, Behaviour] = {
    K.URBAN_MANAGEMENT: Behaviour(grade="A", weight=34),
    K.CIVIL_AFFAIRS: Behaviour(grade="B", weight=22, pattern=".L"),
    K.HOUSING: Behaviour(grade="C", weight=14, pattern="L"),
    K.RESIDENTS_COMMITTEE: Behaviour(grade="D", weight=16, pattern="RSRX"),
    K.PROPERTY_MANAGEMENT: Behaviour(grade="E", weight=8, pattern="S"),
    K.FIRE: PROMPT,
    K.POLICE: PROMPT,
    K.HEALTH: PROMPT,
}
# Where a department sends back what is "not ours": the street dispatches it to 城管.
REDIRECT_TO = K.URBAN_MANAGEMENT


def behaviour_of(kind: str) -> Behaviour:
    return BEHAVIOURS.get(kind, PROMPT)
