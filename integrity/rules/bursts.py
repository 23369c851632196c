"""Bursts of reports just before an assessment period closes (期末突击上报).

Case-count targets invite filing many reports right before the count is taken. Periods
are calendar months in ``TIME_ZONE``; a period's closing window is its last
``INTEGRITY_BURST_CLOSING_DAYS`` (3) days. A worker's reports in the closing window are
compared with their own baseline: their daily rate over the ``INTEGRITY_BURST_BASELINE_DAYS``
(90) days before the window, closing windows of earlier months left out (so a worker who
bursts every month is not measured against their own bursts). At least one report per
baseline is assumed, so a newcomer's first reports are not measured against zero. Flagged
when all three hold:

- at least ``INTEGRITY_BURST_MIN_REPORTS`` (6) reports in the window,
- at least ``INTEGRITY_BURST_MIN_RATIO`` (3) times the expected count,
- the count is improbable for their rate: Poisson tail p ≤ ``INTEGRITY_BURST_MAX_P``
  (0.001).

One flag per worker and period, on the worker's first report in the window; the others
are related cases. Evidence carries the counts, the baseline and the day-by-day tally.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q

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


def report_bursts(window: Window) -> list[FlagDraft]:
    days = int(setting("INTEGRITY_BURST_CLOSING_DAYS"))
    baseline_days = int(setting("INTEGRITY_BURST_BASELINE_DAYS"))
    min_reports = int(setting("INTEGRITY_BURST_MIN_REPORTS"))
    min_ratio = float(setting("INTEGRITY_BURST_MIN_RATIO"))
    max_p = float(setting("INTEGRITY_BURST_MAX_P"))
    reporters_of_cases = None
    if window.case_ids is not None:
        reporters_of_cases = sorted(
            set(
                Case.objects.filter(
                    pk__in=sorted(window.case_ids), reporter__isnull=False
                ).values_list("reporter_id", flat=True)
            )
        )
    drafts = []
    for month in periods_touching(window.since, window.until, days):
        start, end = closing_window(month, days)
        counted_until = min(end, window.until)
        in_window = Case.objects.filter(
            created_at__gte=start, created_at__lt=counted_until, reporter__isnull=False
        )
        if reporters_of_cases is not None:
            in_window = in_window.filter(reporter_id__in=reporters_of_cases)
        counts = dict(
            in_window.values("reporter_id")
            .annotate(n=Count("id"))
            .filter(n__gte=min_reports)
            .values_list("reporter_id", "n")
        )
        if not counts:
            continue
        # Baseline: the days before the window, earlier closing windows left out.
        base_start = start - timedelta(days=baseline_days)
        earlier = []
        m = _month_start((base_start - timedelta(days=days + 1)).astimezone(_zone()).date())
        while m < month:
            c_start, c_end = closing_window(m, days)
            c_start, c_end = max(c_start, base_start), min(c_end, start)
            if c_start < c_end:
                earlier.append((c_start, c_end))
            m = _next_month(m)
        closing_q = Q(pk__in=[])
        for c_start, c_end in earlier:
            closing_q |= Q(created_at__gte=c_start, created_at__lt=c_end)
        excluded_days = sum((e - s).total_seconds() for s, e in earlier) / 86400
        open_days = max(baseline_days - excluded_days, 1.0)
        baseline = {
            row["reporter_id"]: row["total"] - row["closing"]
            for row in Case.objects.filter(
                reporter_id__in=sorted(counts), created_at__gte=base_start, created_at__lt=start
            )
            .values("reporter_id")
            .annotate(total=Count("id"), closing=Count("id", filter=closing_q))
            .order_by()
        }
        window_days = (counted_until - start).total_seconds() / 86400
        suspects = {}
        for reporter_id, n in counts.items():
            base = baseline.get(reporter_id, 0)
            expected = max(base, 1) / open_days * window_days
            ratio = n / expected
            p = poisson_tail(n, expected)
            if ratio >= min_ratio and p <= max_p:
                suspects[reporter_id] = (n, base, expected, ratio, p)
        if not suspects:
            continue
        rows = defaultdict(list)
        for case_id, reporter_id, created_at in (
            in_window.filter(reporter_id__in=sorted(suspects))
            .order_by("created_at", "id")
            .values_list("id", "reporter_id", "created_at")
        ):
            rows[reporter_id].append((case_id, created_at))
        zone = _zone()
        for reporter_id, (n, base, expected, ratio, p) in suspects.items():
            cases = rows[reporter_id]
            per_day = Counter(created.astimezone(zone).date().isoformat() for _i, created in cases)
            drafts.append(
                FlagDraft(
                    rule=Rule.REPORT_BURST,
                    case_id=cases[0][0],
                    subject_id=reporter_id,
                    related_case_ids=[case_id for case_id, _t in cases[1:MAX_RELATED]],
                    evidence={
                        "period": f"{month:%Y-%m}",
                        "window_start": iso(start),
                        "window_end": iso(end),
                        "reports_in_window": n,
                        "reports_per_day": dict(sorted(per_day.items())),
                        "baseline_reports": base,
                        "baseline_days": round(open_days, 1),
                        "expected_in_window": round(expected, 2),
                        "ratio": round(ratio, 1),
                        "p_value": float(f"{p:.3g}"),
                        "thresholds": {
                            "closing_days": days,
                            "min_reports": min_reports,
                            "min_ratio": min_ratio,
                            "max_p": max_p,
                        },
                    },
                )
            )
    return drafts
