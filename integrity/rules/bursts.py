"""Bursts of reports (突击上报): a worker filing far more than their own usual rate, over
any stretch of days — the three days before a period closes, or spread thin over two weeks
to stay under any obvious window.

Each worker's reports are counted per local day over the scan window and the
``INTEGRITY_BURST_BASELINE_DAYS`` (90) days before it. What a day should bring is the
worker's own rate times their street's activity that day (everyone else's reports in the
street that day against their daily mean): a storm or a clean-up campaign that sends a
street's workers out raises everyone's expectation, so a real surge spread over many
workers is not a burst. Two families of stretches are tested, each against the worker's
rate estimated from all their other days (plus one report, so a newcomer is not measured
against zero), the stretch's count against it (Poisson upper tail):

- every stretch of 1 to ``INTEGRITY_BURST_MAX_DAYS`` (21) days ending inside the scan
  window — hundreds of them;
- the last ``INTEGRITY_BURST_CLOSING_DAYS`` (3) days of each period (month) whose close is
  inside the scan window — the days an assessment invites padding, named in advance, so
  they are a hypothesis of their own and allow only for the few closes looked at. Against
  hundreds of stretches, seven extra reports by a worker who files one every other day
  would pass unnoticed.

A stretch is a candidate when

- it holds at least ``INTEGRITY_BURST_MIN_REPORTS`` (6) reports,
- at least ``INTEGRITY_BURST_MIN_RATIO`` (2) times the expected count,
- and its tail probability, multiplied by the number of stretches its family tested for that
  worker (Bonferroni: the scan looked at many windows, so one improbable-looking window is
  expected by chance), is at most ``INTEGRITY_BURST_MAX_P`` (0.001). Both families at that
  level: at most 0.002 per worker and scan of a false flag by chance.

The most improbable candidates (by adjusted probability) are flagged, up to three disjoint
stretches per worker and scan. One flag per stretch, on its first report; the others are
related cases. A stretch sharing a report with an earlier burst flag of the worker's is that
burst found again (``FlagDraft.overlaps``), not a new one. Evidence carries the counts, the
expectation, both probabilities, the family it was tested in (``tested_as``) and the
day-by-day tally.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from cases.models import Case

from ..conf import setting
from ..models import Rule
from .base import FlagDraft, Window, iso

MAX_RELATED = 200


def poisson_tail(count: int, expected: float) -> float:
    """P(X ≥ count) for X ~ Poisson(expected)."""
    if count <= 0:
        return 1.0
    # 1 − P(X ≤ count − 1), summed in log space to stay finite for large counts.
    log_terms = [-expected + k * math.log(expected) - math.lgamma(k + 1) for k in range(count)]
    below = sum(math.exp(t) for t in log_terms)
    if below < 0.999:
        return max(0.0, 1.0 - below)
    # Close to 1: sum the upper tail directly instead of subtracting.
    tail, k = 0.0, count
    while True:
        term = math.exp(-expected + k * math.log(expected) - math.lgamma(k + 1))
        tail += term
        if term < 1e-18 or k > count + 10_000:
            return tail
        k += 1


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def closing_window(month: date, days: int) -> tuple[datetime, datetime]:
    """``[start, end)`` of the last ``days`` days of ``month``'s period, in local time."""
    end = _next_month(month)
    zone = _zone()
    return (
        datetime.combine(end - timedelta(days=days), time(), zone),
        datetime.combine(end, time(), zone),
    )


def periods_touching(since: datetime, until: datetime, days: int) -> list[date]:
    """First days of the months whose closing window overlaps ``[since, until)``."""
    zone = _zone()
    month = _month_start(since.astimezone(zone).date())
    last = until.astimezone(zone).date()
    months = []
    while month <= last:
        start, end = closing_window(month, days)
        if start < until and end > since:
            months.append(month)
        month = _next_month(month)
    return months


MAX_STRETCHES = 3


def _local_day(value: datetime, origin: date) -> int:
    return (value.astimezone(_zone()).date() - origin).days


def report_bursts(window: Window) -> list[FlagDraft]:
    import numpy as np
    from scipy.stats import poisson

    baseline_days = int(setting("INTEGRITY_BURST_BASELINE_DAYS"))
    max_days = int(setting("INTEGRITY_BURST_MAX_DAYS"))
    min_reports = int(setting("INTEGRITY_BURST_MIN_REPORTS"))
    min_ratio = float(setting("INTEGRITY_BURST_MIN_RATIO"))
    max_p = float(setting("INTEGRITY_BURST_MAX_P"))
    closing_days = int(setting("INTEGRITY_BURST_CLOSING_DAYS"))

    zone = _zone()
    first_day = window.since.astimezone(zone).date()
    origin = first_day - timedelta(days=baseline_days)
    start = datetime.combine(origin, time(), zone)
    n_days = _local_day(window.until - timedelta(microseconds=1), origin) + 1
    scan_from = (first_day - origin).days

    in_window = Case.objects.filter(
        created_at__gte=window.since, created_at__lt=window.until, reporter__isnull=False
    )
    if window.case_ids is not None:
        in_window = in_window.filter(pk__in=sorted(window.case_ids))
    reporters = set(in_window.values_list("reporter_id", flat=True).distinct())
    if not reporters:
        return []
    # Everyone's reports per street and day: a storm or a campaign raises a street at once.
    everyone: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(n_days))
    counts: dict[int, np.ndarray] = {}
    streets: dict[int, Counter] = defaultdict(Counter)
    cases: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for case_id, reporter_id, street_id, created_at in (
        Case.objects.filter(created_at__gte=start, created_at__lt=window.until)
        .order_by("created_at", "id")
        .values_list("id", "reporter_id", "street_id", "created_at")
        .iterator(chunk_size=20_000)
    ):
        day = _local_day(created_at, origin)
        everyone[street_id][day] += 1
        if reporter_id in reporters:
            counts.setdefault(reporter_id, np.zeros(n_days))[day] += 1
            streets[reporter_id][street_id] += 1
            if day >= scan_from - max_days:
                cases[reporter_id].append((case_id, created_at))

    # Segments [i, j) in two families, each allowing (Bonferroni) for its own number of tests:
    # every stretch of 1..max_days days whose last day is in the window, and the last
    # closing_days days of each period whose close is in the window.
    ends = np.arange(scan_from + 1, n_days + 1)
    lengths = np.arange(1, max_days + 1)
    seg_end = np.repeat(ends, len(lengths))
    seg_start = seg_end - np.tile(lengths, len(ends))
    keep = seg_start >= 0
    seg_start, seg_end = seg_start[keep], seg_end[keep]
    closes = _closes(origin, first_day=scan_from, n_days=n_days, days=closing_days)
    tested = np.concatenate(
        (np.full(len(seg_start), len(seg_start)), np.full(len(closes), len(closes)))
    )
    close_family = np.concatenate(
        (np.zeros(len(seg_start), dtype=bool), np.ones(len(closes), dtype=bool))
    )
    if closes:
        seg_start = np.concatenate((seg_start, [first for first, _end in closes]))
        seg_end = np.concatenate((seg_end, [end for _first, end in closes]))

    drafts = []
    for reporter_id, mine in counts.items():
        # Only the worker's own street's share of their reports is theirs to take out.
        street_id = streets[reporter_id].most_common(1)[0][0]
        others = np.maximum(everyone[street_id] - mine, 0)
        activity = (others + 1.0) / (others.mean() + 1.0)
        c_sum = np.concatenate(([0.0], np.cumsum(mine)))
        f_sum = np.concatenate(([0.0], np.cumsum(activity)))
        n = c_sum[seg_end] - c_sum[seg_start]
        f_in = f_sum[seg_end] - f_sum[seg_start]
        rate = (c_sum[-1] - n + 1.0) / (f_sum[-1] - f_in)
        expected = rate * f_in
        p = poisson.sf(n - 1, expected)
        adjusted = p * tested
        candidate = (n >= min_reports) & (n >= min_ratio * expected) & (adjusted <= max_p)
        taken = np.zeros(n_days, dtype=bool)
        picked = 0
        for k in np.flatnonzero(candidate)[np.argsort(adjusted[candidate], kind="stable")]:
            if picked == MAX_STRETCHES:
                break
            if taken[seg_start[k] : seg_end[k]].any():
                continue
            taken[seg_start[k] : seg_end[k]] = True
            picked += 1
            drafts.append(
                _draft(
                    reporter_id,
                    cases[reporter_id],
                    origin=origin,
                    days=(int(seg_start[k]), int(seg_end[k])),
                    counts=mine,
                    stats=(int(n[k]), float(expected[k]), float(p[k]), int(tested[k])),
                    close=bool(close_family[k]),
                    baseline=(int(c_sum[-1] - n[k]), float(f_sum[-1] - f_in[k])),
                )
            )
    return drafts


def _closes(origin: date, *, first_day: int, n_days: int, days: int) -> list[tuple[int, int]]:
    """The closing windows ``[first, end)`` (day numbers from ``origin``) of the periods whose
    last day is one of days ``first_day`` … ``n_days - 1``."""
    closes = []
    month = _month_start(origin)
    while (end := (_next_month(month) - origin).days) <= n_days:
        if end > first_day and end - days >= 0:
            closes.append((end - days, end))
        month = _next_month(month)
    return closes


def _draft(reporter_id, rows, *, origin, days, counts, stats, baseline, close) -> FlagDraft:
    zone = _zone()
    first, last = days
    n, expected, p, tested = stats
    base_reports, base_days = baseline
    lo = datetime.combine(origin + timedelta(days=first), time(), zone)
    hi = datetime.combine(origin + timedelta(days=last), time(), zone)
    mine = [case_id for case_id, at in rows if lo <= at < hi]
    return FlagDraft(
        rule=Rule.REPORT_BURST,
        case_id=mine[0],
        subject_id=reporter_id,
        related_case_ids=mine[1:MAX_RELATED],
        overlaps=True,
        evidence={
            "period": f"{(hi - timedelta(days=1)).date():%Y-%m}",
            "window_start": iso(lo),
            "window_end": iso(hi),
            "days": last - first,
            "reports_in_window": n,
            "reports_per_day": {
                (origin + timedelta(days=d)).isoformat(): int(counts[d])
                for d in range(first, last)
                if counts[d]
            },
            "baseline_reports": base_reports,
            "baseline_days": round(base_days, 1),
            "expected_in_window": round(expected, 2),
            "ratio": round(n / expected, 1) if expected else None,
            "p_value": float(f"{p:.3g}"),
            "p_adjusted": float(f"{min(1.0, p * tested):.3g}"),
            "stretches_tested": tested,
            "tested_as": "period_close" if close else "any_stretch",
            "thresholds": {
                "max_days": int(setting("INTEGRITY_BURST_MAX_DAYS")),
                "min_reports": int(setting("INTEGRITY_BURST_MIN_REPORTS")),
                "min_ratio": float(setting("INTEGRITY_BURST_MIN_RATIO")),
                "max_p": float(setting("INTEGRITY_BURST_MAX_P")),
                "closing_days": int(setting("INTEGRITY_BURST_CLOSING_DAYS")),
            },
        },
    )
