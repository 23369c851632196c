"""The indicators of DESIGN §5, from counts, and the score and grade they give.

Definitions (a period is ``[start, end]``, whole local days, Asia/Shanghai). Which case
counts for what is decided in one place, ``assessment.rollups`` (``filed_q``, ``closed_q`` …),
used alike by the counts, the rollups and the drill-down lists (``assessment.drilldown``):

- Volume cannot buy a score. Rates made of a unit's own cases can be diluted by cheap volume:
  thirty trivial reports, each resolved on the spot by the worker who reported it and verified
  by a neighbour the system picked, once took a cell from 97 to 100. So a case resolved on the
  spot by its reporter (``self_resolve``: never accepted) counts toward the rates below only
  once someone independent of its reporter checked it — a worker of another cell verified it
  (交叉核查), a department's handler took it up, or a resident rated it; it counts then (the
  close, or the rating's day). Every such case, checked or not, is 自行处置数
  ``self_resolved`` (on the day its result was reported), a figure shown beside the rates and
  never in the score.
- 立案数 ``filed``: cases accepted by street staff in the period (``accepted_at``), and
  self-resolved cases counted (checked) in it. Rejected and merged reports are not filed.
- 结案数 ``closed``: cases closed (``verify_pass``) in the period — self-resolved ones only
  when checked, at the check.
- 按期结案数 ``closed_on_time``: of those, the ones no step of which ever went overdue — the
  SLA scanner records each overdue mark as an ``overdue`` notification (its record, see
  ``workflows.sla``), so "on time" is "no such notification".
- 超期未结 ``overdue_open``: cases open *now* and overdue whose current deadline (``due_at``)
  passed by the end of the period — however long before its start. Once closed a case moves
  to the period it was closed in.
- 应结案数 ``due`` = ``closed`` + ``overdue_open``.
- 结案率 ``closing_rate`` = closed / due; 按期结案率 ``on_time_rate`` = closed_on_time / due.
  With the backlog defined below the two cannot contradict each other: a 结案率 of 100 %
  means no case of the backlog is overdue (the backlog's other cases are not due yet).
- 返工率 ``rework_rate`` = failed verifications / verifications, over the cases closed in
  the period: a closed case was verified ``1 + rework_count`` times and failed
  ``rework_count`` times (attributing them to the close keeps each day's rollup final).
- 满意率 ``satisfaction_rate`` = satisfied (score 4–5) / rated, over residents' ratings given
  in the period (the reporter of a resident, Open311 or hotline case on their tracking page,
  or a staff phone callback; never a worker).
- 居民满意率 ``survey_rate``: satisfied / answers of the grid-service survey in the period
  (``assessment.survey``; shown beside, not in the score).
- 平均处置时长 ``avg_handling_hours`` = mean of (closed_at − filed time) over closed cases.
- 监督举报率 ``supervision_rate`` = filed (accepted) public reports (source resident, hotline
  or Open311: the public found it before a worker did) / filed.
- 漏报率 ``missed_rate`` = ``missed`` / ``patrol_filed``: accepted public reports in the patrol
  categories (部件 C, 事件 E; service requests are no patrol's to find) that no worker's report
  merged into them had come before, over the cases filed in those categories. A cell's is the
  cell's; a grid worker's counts their cells only on the days their assignments cover.
- 积压 ``backlog``: cases open at the end of the period (due or not).

A rate whose denominator is under ``MIN_CASES`` is ``None`` (no rate, shown "—", left out of
the score), never 0 or 1: one case closed in time is not "100 % on time".
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from operator import itemgetter

COUNT_FIELDS = (
    "filed",
    "filed_public",
    "closed",
    "closed_on_time",
    "reworks",
    "handling_us",
    "rated",
    "satisfied",
    "opened",
    "resolved",
    "self_resolved",
    "patrol_filed",
    "missed",
)
GRADES = ("A", "B", "C", "D", "E")
# A unit's counts: the rollups' and those of "now" (the end of the period).
NOW_COUNTS = ("overdue_open", "backlog")
UNIT_COUNTS = (*COUNT_FIELDS, *NOW_COUNTS)


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(UNIT_COUNTS, 0)


def add_counts(into: dict[str, int], other: Mapping[str, int | None]) -> dict[str, int]:
    for name, value in other.items():
        if name in into and value:
            into[name] += int(value)
    return into


# A rate from fewer cases (or ratings) than this is no rate: shown "—", left out of the score.
# One happy resident is not "100 %", nor one case closed in time "100 % on time".
MIN_CASES = MIN_RATINGS = 5

# Each rate as (numerator, denominator), both counts: what the dashboard shows on hover, the
# export beside the rate, and the drill-down lists (``assessment.drilldown``).
FRACTIONS = {
    "closing_rate": ("closed", "due"),
    "on_time_rate": ("closed_on_time", "due"),
    "rework_rate": ("reworks", "verifications"),
    "satisfaction_rate": ("satisfied", "rated"),
    "supervision_rate": ("filed_public", "filed"),
    "missed_rate": ("missed", "patrol_filed"),
}


# The counts a row shows: the rollup's (handling time in seconds, not µs) and the "now" ones.
SHOWN_COUNTS = (*(n for n in COUNT_FIELDS if n != "handling_us"), "overdue_open", "backlog")


def shown_counts(c: Mapping[str, int]) -> dict[str, int]:
    """The counts of a row, with those made of other counts: 应结案数 and the number of
    verifications."""
    out = {name: int(c[name]) for name in SHOWN_COUNTS}
    out["due"] = out["closed"] + out["overdue_open"]
    out["verifications"] = out["closed"] + out["reworks"]
    out["handling_seconds"] = round(c["handling_us"] / 1_000_000)
    return out


def ratio(numerator: int, denominator: int) -> float | None:
    """A rate: ``None`` under ``MIN_CASES`` (see the module docstring)."""
    return round(numerator / denominator, 4) if denominator >= MIN_CASES else None


def rates(shown: Mapping[str, int], handling_us: int) -> dict[str, float | None]:
    """The indicators of one unit from its ``shown_counts`` (see the module docstring)."""
    out: dict[str, float | None] = {}
    for name, (num, den) in FRACTIONS.items():
        out[name] = ratio(shown[num], shown[den])
    closed = shown["closed"]
    out["avg_handling_hours"] = round(handling_us / closed / 3_600_000_000, 2) if closed else None
    return out


@dataclass(frozen=True, eq=False)
class Scheme:
    """A ``GradingScheme`` row in plain numbers (loaded once per request). Equal, and hashed,
    by its numbers: the map's rows are kept per scheme and counts (``map_row``)."""

    name: str
    weights: dict[str, int]
    targets: dict[str, Decimal]
    thresholds: tuple[int, int, int, int]  # A, B, C, D

    @cached_property
    def _key(self) -> tuple:
        return (
            self.name,
            tuple(sorted(self.weights.items())),
            tuple(sorted(self.targets.items())),
            self.thresholds,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scheme) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @classmethod
    def of(cls, row) -> Scheme:
        from .models import COMPONENTS

        return cls(
            name=row.name,
            weights={c: getattr(row, f"weight_{c}") for c in COMPONENTS},
            targets={c: Decimal(getattr(row, f"target_{c}")) for c in COMPONENTS},
            thresholds=(row.grade_a, row.grade_b, row.grade_c, row.grade_d),
        )


# The default scheme when the table is empty (same numbers as the data migration's standard).
FALLBACK_SCHEME = Scheme(
    name="standard",
    weights={"closing": 25, "on_time": 25, "rework": 15, "satisfaction": 20, "self_discovery": 15},
    targets={
        "closing": Decimal("0.98"),
        "on_time": Decimal("0.95"),
        "rework": Decimal("0.95"),
        "satisfaction": Decimal("0.95"),
        "self_discovery": Decimal("0.90"),
    },
    thresholds=(90, 75, 60, 40),
)


def components(r: Mapping[str, float | None]) -> dict[str, float | None]:
    """The score's components, each a rate where higher is better (None: no data)."""
    return {
        "closing": r["closing_rate"],
        "on_time": r["on_time_rate"],
        "rework": None if r["rework_rate"] is None else 1 - r["rework_rate"],
        "satisfaction": r["satisfaction_rate"],
        "self_discovery": None if r["supervision_rate"] is None else 1 - r["supervision_rate"],
    }


def score(r: Mapping[str, float | None], scheme: Scheme) -> float | None:
    """``100 × Σ w·min(1, rate/target) / Σ w`` over the components with data; None if none.
    Only rates enter — and only of cases someone independent checked (module docstring) —
    so cheap volume cannot raise it."""
    total = weight_sum = 0.0
    for name, value in components(r).items():
        weight = scheme.weights[name]
        if value is None or not weight:
            continue
        total += weight * min(1.0, value / float(scheme.targets[name]))
        weight_sum += weight
    return round(100 * total / weight_sum, 1) if weight_sum else None


def grade(value: float | None, scheme: Scheme) -> str | None:
    """A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E below (the scheme's thresholds)."""
    if value is None:
        return None
    for letter, threshold in zip(GRADES, scheme.thresholds, strict=False):
        if value >= threshold:
            return letter
    return "E"


def _scored(counts: Mapping[str, int], scheme: Scheme) -> tuple[dict, dict, float | None]:
    shown = shown_counts(counts)
    r = rates(shown, int(counts["handling_us"]))
    return shown, r, score(r, scheme)


_UNIT_COUNT_VALUES = itemgetter(*UNIT_COUNTS)


def map_row(counts: Mapping[str, int], scheme: Scheme) -> dict:
    """What the dashboard's map colours a unit by (grade, backlog, satisfaction) and shows on
    hover: a twentieth of ``indicator_row``, for 3,000 cells at a time.

    The row depends on the counts and the scheme alone, and from one load of the map to the
    next most cells' counts have not changed: each row is kept for the process, by its
    counts, so a reload scores only the cells whose counts moved. The row returned is shared:
    not to be changed."""
    return _map_row(_UNIT_COUNT_VALUES(counts), scheme)


@functools.lru_cache(maxsize=32_768)  # ten districts' cells; a few MB
def _map_row(values: tuple[int, ...], scheme: Scheme) -> dict:
    counts = dict(zip(UNIT_COUNTS, values, strict=True))
    shown, r, value = _scored(counts, scheme)
    return {
        "counts": {"backlog": shown["backlog"]},
        "indicators": {"satisfaction_rate": r["satisfaction_rate"]},
        "score": value,
        "grade": grade(value, scheme),
    }


def indicator_row(counts: Mapping[str, int], scheme: Scheme) -> dict:
    """Counts, indicators (with each rate's numerator and denominator), score and grade.
    Called once per unit of a table (300 communities): each count is read once."""
    shown, r, value = _scored(counts, scheme)
    return {
        "counts": shown,
        "indicators": r,
        "fractions": {name: [shown[num], shown[den]] for name, (num, den) in FRACTIONS.items()},
        "score": value,
        "grade": grade(value, scheme),
        "scheme": scheme.name,
    }
