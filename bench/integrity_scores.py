"""Scoring for ``bench/integrity.py``: every flag is matched to a planted fake, a planted
control or the seeded history; planted items and history are split in two halves by a
seeded hash; each rule's threshold is chosen on half A and reported on half B.

Precision at a base rate π re-weights what was measured to a district where a share π of
cases are fakes: ``P = r·π / (r·π + f·(1 − π))`` with r the recall on the fakes and f the
false-positive rate — measured on the seeded history (ordinary cases) and, separately, on
the hard controls (honest look-alikes), which a real district has far fewer of.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

SEED = 2026
SETS = ("planted", "adversarial")
# Rules whose flags carry a score to choose a threshold on: (evidence → score).
SCORES = {
    # How improbable by chance the pair is (−log10 of the expected chance count); flags from
    # before that score existed carry only the text similarity.
    "near_duplicate": lambda e: (
        -math.log10(max(e["chance"], 1e-300)) if "chance" in e else e.get("similarity", 1.0)
    ),
    "report_burst": lambda e: -math.log10(max(e.get("p_adjusted", 0.0), 1e-300)),
}
GOALS = {0.01: 0.9, 0.001: 0.75}
RECALL_GOAL = 0.8


def half(value) -> str:
    digest = hashlib.sha256(f"{SEED}:{value}".encode()).digest()
    return "A" if digest[0] % 2 == 0 else "B"


@dataclass
class Truth:
    """Planted items of one rule: per set, the fakes' and controls' keys (case ids, or
    (worker, start, end) stretches for bursts)."""

    fakes: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    controls: dict[str, set] = field(default_factory=lambda: defaultdict(set))


def reweighted(recall: float, fp_rate: float, base_rate: float) -> float:
    hit = recall * base_rate
    miss = fp_rate * (1 - base_rate)
    return hit / (hit + miss) if hit + miss else float("nan")


def _burst_key(flag: dict, stretches: list[tuple]) -> tuple | None:
    start = datetime.fromisoformat(flag["evidence"]["window_start"])
    end = datetime.fromisoformat(flag["evidence"]["window_end"])
    for key in stretches:
        worker, s, e = key
        if worker == flag["subject_id"] and s < end and e > start:
            return key
    return None


def classify(
    rule: str, flags: list[dict], truth: Truth, planted_ids: frozenset[int] = frozenset()
) -> list[tuple[str, str, object, float]]:
    """(kind, set, key, score) for each flag: kind "fake", "control", "other" (a case planted
    for another rule or set: neither this rule's truth nor the seeded history) or "history"."""
    score = SCORES.get(rule, lambda _e: 1.0)
    out = []
    stretches = [k for s in SETS for k in (*truth.fakes[s], *truth.controls[s])]
    for flag in flags:
        key = _burst_key(flag, stretches) if rule == "report_burst" else flag["case_id"]
        kind, where = "history", None
        for name in SETS:
            if key in truth.fakes[name]:
                kind, where = "fake", name
            elif key in truth.controls[name]:
                kind, where = "control", name
        if kind == "history" and rule != "report_burst" and flag["case_id"] in planted_ids:
            kind = "other"
        value = score(flag["evidence"])
        if kind == "history":
            key = flag["subject_id"] if rule == "report_burst" else flag["case_id"]
            if rule == "report_burst":
                value = _history_burst_score(flag, planted_ids)
        out.append((kind, where, key, value))
    return out


def _history_burst_score(flag: dict, planted_ids: frozenset[int]) -> float:
    """A burst flag on an ordinary worker, scored on their ordinary reports alone: the cases
    planted for the other rules (a refile, a verified case) are filed by the cells' workers
    too, and can tip a worker's chance stretch over the line — the seeded history did not
    flag it, the bench's additions did. The stretch's count less its planted cases, against
    the same expectation and the same number of stretches tested."""
    from scipy.stats import poisson

    e = flag["evidence"]
    planted = sum(i in planted_ids for i in (flag["case_id"], *flag.get("related_case_ids", ())))
    if not planted:
        return SCORES["report_burst"](e)
    p = poisson.sf(e["reports_in_window"] - planted - 1, e["expected_in_window"])
    return -math.log10(max(min(1.0, p * e["stretches_tested"]), 1e-300))


def _half_of(rule: str, key) -> str:
    return half(key[0] if rule == "report_burst" and isinstance(key, tuple) else key)


def measure(rule, classified, truth, history_units, set_name, part, threshold) -> dict:
    """The figures of one rule, set and half at ``threshold``."""
    fakes = {k for k in truth.fakes[set_name] if _half_of(rule, k) == part}
    controls = {k for k in truth.controls[set_name] if _half_of(rule, k) == part}
    hist_units = history_units[part]
    hits, ctl_hits, hist = set(), set(), 0
    for kind, where, key, score in classified:
        if score < threshold or _half_of(rule, key) != part:
            continue
        if kind == "fake" and where == set_name:
            hits.add(key)
        elif kind == "control" and where == set_name:
            ctl_hits.add(key)
        elif kind == "history":
            hist += 1
    recall = len(hits) / len(fakes) if fakes else float("nan")
    flagged = len(hits) + len(ctl_hits) + hist
    hist_rate = hist / hist_units if hist_units else 0.0
    ctl_rate = len(ctl_hits) / len(controls) if controls else 0.0
    return {
        "fakes": len(fakes),
        "tp": len(hits),
        "fp_hist": hist,
        "fp_ctl": len(ctl_hits),
        "controls": len(controls),
        "recall": recall,
        "precision": len(hits) / flagged if flagged else float("nan"),
        **{f"p_hist@{b}": reweighted(recall, hist_rate, b) for b in GOALS},
        **{f"p_ctl@{b}": reweighted(recall, ctl_rate, b) for b in GOALS},
        "fp_per_10k": hist_rate * 10_000,
    }


def choose_threshold(rule, classified, truth, history_units, set_name) -> float:
    """On half A: the middle of the thresholds that meet every goal (recall and precision at
    both base rates, history false positives), else the one with the best recall × precision
    at 0.1 %, the middle of a run of equals. The middle, not the lowest: a threshold pressed
    against half A's last false positive lets half B's next one through (with a handful of
    false positives, which side of the line each falls on is chance)."""
    # Candidates from half A's own scores: half B's must not move the line it is judged by.
    scores = sorted({score for _k, _w, key, score in classified if _half_of(rule, key) == "A"})
    step = max(1, len(scores) // 200)  # 200 candidates are plenty; each costs a pass
    candidates = [-math.inf, *scores[::step]]
    meets, values = [], []
    for t in candidates:
        m = measure(rule, classified, truth, history_units, set_name, "A", t)
        if math.isnan(m["recall"]):
            return -math.inf
        precision = {b: m[f"p_hist@{b}"] for b in GOALS}
        meets.append(
            m["recall"] >= RECALL_GOAL and all(precision[b] >= goal for b, goal in GOALS.items())
        )
        p = precision[0.001]
        values.append(m["recall"] * (0.0 if math.isnan(p) else p))
    if any(meets):
        chosen = [i for i, ok in enumerate(meets) if ok]
    else:
        best = max(values)
        chosen = [i for i, v in enumerate(values) if v >= best - 1e-12]
    return candidates[_middle_of_longest_run(chosen)]


def _middle_of_longest_run(indexes: list[int]) -> int:
    """The middle index of the longest run of consecutive ``indexes`` (sorted, not empty)."""
    runs, run = [], [indexes[0]]
    for i in indexes[1:]:
        if i == run[-1] + 1:
            run.append(i)
        else:
            runs.append(run)
            run = [i]
    runs.append(run)
    longest = max(runs, key=len)
    return longest[len(longest) // 2]


HEADER = (
    f"{'rule':<26}{'set':<12}{'half':>4}{'thresh':>8}{'fakes':>6}{'TP':>5}{'recall':>7}"
    f"{'FPhist':>7}{'FPctl':>6}{'/ctl':>5}{'prec':>6}{'P@1%':>6}{'P@.1%':>6}"
    f"{'P@1%c':>7}{'P@.1%c':>7}{'FP/10k':>7}"
)


def row(rule: str, set_name: str, part: str, threshold: float, m: dict) -> str:
    def f(v: float) -> str:
        return "   nan" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:6.3f}"

    t = "-" if threshold == -math.inf else f"{threshold:.3g}"
    return (
        f"{rule:<26}{set_name:<12}{part:>4}{t:>8}{m['fakes']:>6}{m['tp']:>5}{f(m['recall']):>7}"
        f"{m['fp_hist']:>7}{m['fp_ctl']:>6}{m['controls']:>5}{f(m['precision'])}"
        f"{f(m['p_hist@0.01'])}{f(m['p_hist@0.001'])} {f(m['p_ctl@0.01'])} {f(m['p_ctl@0.001'])}"
        f"{m['fp_per_10k']:>7.2f}"
    )
