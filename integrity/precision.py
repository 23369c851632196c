"""How often each rule was right (规则准确率), from reviewers' decisions: confirmed ÷
(confirmed + dismissed), with a 95 % Wilson interval, said in plain words.

Pure arithmetic over the rows of one aggregate query (``selectors.rule_precision``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import DismissReason, FlagStatus, Rule

Z95 = 1.959963984540054  # two-sided 95 % normal quantile
MIN_REVIEWS = 20  # below this, a share says more about luck than about the rule
RECENT_DAYS = 90
# A rule is "trusted" when even the pessimistic end of its interval is right 3 times in 4
# (the floor at a realistic base rate); "mostly wrong" when even the optimistic end
# is below one in two.
TRUSTED_LOW = 0.75
WRONG_HIGH = 0.5
TOP_REASONS = 3


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes`` out of ``n`` (None when ``n`` is 0)."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Share:
    """``confirmed`` of ``reviewed`` decisions: the rule's precision as reviewers found it."""

    confirmed: int = 0
    reviewed: int = 0

    @property
    def enough(self) -> bool:
        return self.reviewed >= MIN_REVIEWS

    @property
    def value(self) -> float | None:
        return self.confirmed / self.reviewed if self.reviewed else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.confirmed, self.reviewed)

    @property
    def percent(self) -> int | None:
        return None if self.value is None else round(100 * self.value)

    @property
    def low_percent(self) -> int | None:
        return None if self.interval is None else round(100 * self.interval[0])

    @property
    def high_percent(self) -> int | None:
        return None if self.interval is None else round(100 * self.interval[1])

    def in_words(self) -> str:
        """ "right 9 times in 10 over 143 reviews", or "too few reviews" below
        ``MIN_REVIEWS``."""
        if not self.enough:
            return ngettext(
                "too few reviews (%(n)d so far)", "too few reviews (%(n)d so far)", self.reviewed
            ) % {"n": self.reviewed}
        tenths = round(10 * self.confirmed / self.reviewed)
        if tenths == 10 and self.confirmed < self.reviewed:
            return _("right more than 9 times in 10 over %(n)d reviews") % {"n": self.reviewed}
        if tenths == 0 and self.confirmed:
            return _("right less than once in 10 over %(n)d reviews") % {"n": self.reviewed}
        return ngettext(
            "right %(k)d time in 10 over %(n)d reviews",
            "right %(k)d times in 10 over %(n)d reviews",
            tenths,
        ) % {"k": tenths, "n": self.reviewed}


@dataclass
class RulePrecision:
    """One rule's record in a reviewer's scope: all time and the last ``RECENT_DAYS`` of
    decisions, the flags still open, and the commonest reasons for dismissing it."""

    rule: str
    all_time: Share = field(default_factory=Share)
    recent: Share = field(default_factory=Share)
    open: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return dict(Rule.choices).get(self.rule, self.rule)

    @property
    def total(self) -> int:
        return self.open + self.all_time.reviewed

    @property
    def open_share(self) -> float:
        return self.open / self.total if self.total else 0.0

    @property
    def shares(self) -> tuple[Share, Share]:
        return (self.all_time, self.recent)

    @property
    def open_percent(self) -> int:
        return round(100 * self.open_share)

    @property
    def verdict(self) -> str:
        """``trusted``, ``wrong``, ``unsure`` or ``too_few`` (all-time decisions)."""
        interval = self.all_time.interval
        if not self.all_time.enough or interval is None:
            return "too_few"
        if interval[0] >= TRUSTED_LOW:
            return "trusted"
        if interval[1] < WRONG_HIGH:
            return "wrong"
        return "unsure"


def summarise(rows: Iterable[dict]) -> list[RulePrecision]:
    """Rules' records from rows of ``rule``, ``status``, ``dismiss_reason``, ``n`` (flags)
    and ``recent`` (of them, reviewed in the last ``RECENT_DAYS``), in ``Rule`` order."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    reasons: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        tally = counts[row["rule"]][row["status"]]
        tally[0] += row["n"]
        tally[1] += row["recent"]
        if row["status"] == FlagStatus.DISMISSED:
            reasons[row["rule"]][row["dismiss_reason"] or ""] += row["n"]
    order = {rule: i for i, rule in enumerate(Rule.values)}
    labels = dict(DismissReason.choices)
    result = []
    for rule in sorted(counts, key=lambda r: (order.get(r, len(order)), r)):
        by_status = counts[rule]
        confirmed, dismissed = by_status[FlagStatus.CONFIRMED], by_status[FlagStatus.DISMISSED]
        given = sorted(
            ((n, code) for code, n in reasons[rule].items() if code), key=lambda t: (-t[0], t[1])
        )
        result.append(
            RulePrecision(
                rule=rule,
                all_time=Share(confirmed[0], confirmed[0] + dismissed[0]),
                recent=Share(confirmed[1], confirmed[1] + dismissed[1]),
                open=by_status[FlagStatus.OPEN][0],
                reasons=[(labels.get(code, code), n) for n, code in given[:TOP_REASONS]],
            )
        )
    return result
