"""Near-duplicate reports (疑似重复上报): the same thing filed again to pad the case count.

Intake already flags, for street staff to merge, any earlier case of the same sub-category
within 50 m in the 72 hours before (``cases.duplicates``, ``DuplicateCandidate``). This rule
looks for a different thing — a report *copied*: a case whose reporter (or, for reports
without an account, whose cell) filed an earlier case that

- is of the same sub-category and was not rejected,
- lies within ``INTEGRITY_DUPLICATE_RADIUS_M`` (30 m: GPS scatter of one spot),
- was filed at most ``INTEGRITY_DUPLICATE_WINDOW_HOURS`` before (7 days, past intake's 72 h),
- reads alike: title and description, punctuation and spaces dropped, have a
  ``difflib`` similarity ratio of at least ``INTEGRITY_DUPLICATE_MIN_SIMILARITY`` (0.9).

A later case that street staff already rejected or merged is left alone (it counts for
nothing). The flag sits on the later case and names the earlier one(s).
"""

from __future__ import annotations

import re
from collections import defaultdict
from difflib import SequenceMatcher

from django.db.models import Q

from cases.models import Case, CaseStatus
from grids.geometry import degree_box, haversine_m

from ..conf import hours, setting
from ..models import Rule
from .base import FlagDraft, Window, iso

_FIELDS = (
    "id",
    "number",
    "reporter_id",
    "cell_id",
    "category_id",
    "lon",
    "lat",
    "created_at",
    "title",
    "description",
    "status",
    "duplicate_of_id",
)
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)
# Above this many cases in the window, reading every case of the span is cheaper than
# filtering the span by long lists of cells and reporters.
_FILTER_POOL_BELOW = 500


def text_key(title: str, description: str) -> str:
    """What two reports are compared on: their words, without punctuation or spacing."""
    return _NOT_TEXT.sub("", f"{title}{description}").lower()


def similarity(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < 0.5:
        return matcher.real_quick_ratio()
    return matcher.ratio()


def near_duplicates(window: Window) -> list[FlagDraft]:
    radius = float(setting("INTEGRITY_DUPLICATE_RADIUS_M"))
    span = hours("INTEGRITY_DUPLICATE_WINDOW_HOURS")
    min_similarity = float(setting("INTEGRITY_DUPLICATE_MIN_SIMILARITY"))

    new = list(
        window.narrow(
            Case.objects.filter(created_at__gte=window.since, created_at__lt=window.until)
        )
        .exclude(status=CaseStatus.REJECTED)
        .values(*_FIELDS)
    )
    if not new:
        return []
    pool = Case.objects.filter(
        created_at__gte=min(c["created_at"] for c in new) - span,
        created_at__lte=max(c["created_at"] for c in new),
    ).exclude(status=CaseStatus.REJECTED)
    if len(new) < _FILTER_POOL_BELOW:
        reporters = sorted({c["reporter_id"] for c in new if c["reporter_id"]})
        pool = pool.filter(
            Q(cell_id__in=sorted({c["cell_id"] for c in new})) | Q(reporter_id__in=reporters),
            category_id__in=sorted({c["category_id"] for c in new}),
        )
    by_reporter: dict[tuple[int, int], list[dict]] = defaultdict(list)
    by_cell: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for row in pool.values(*_FIELDS).iterator(chunk_size=10_000):
        if row["reporter_id"]:
            by_reporter[(row["category_id"], row["reporter_id"])].append(row)
        by_cell[(row["category_id"], row["cell_id"])].append(row)

    texts: dict[int, str] = {}

    def text(row: dict) -> str:
        if row["id"] not in texts:
            texts[row["id"]] = text_key(row["title"], row["description"])
        return texts[row["id"]]

    drafts = []
    for case in new:
        others = {
            o["id"]: o
            for o in (
                *by_reporter.get((case["category_id"], case["reporter_id"]), ()),
                *by_cell.get((case["category_id"], case["cell_id"]), ()),
            )
        }
        dlon, dlat = degree_box(case["lat"], radius)
        matches = []
        for other in others.values():
            earlier = (other["created_at"], other["id"]) < (case["created_at"], case["id"])
            if (
                not earlier
                or case["created_at"] - other["created_at"] > span
                or case["duplicate_of_id"] == other["id"]
                or abs(other["lat"] - case["lat"]) > dlat
                or abs(other["lon"] - case["lon"]) > dlon
            ):
                continue
            distance = haversine_m(case["lon"], case["lat"], other["lon"], other["lat"])
            if distance > radius:
                continue
            ratio = similarity(text(case), text(other))
            if ratio < min_similarity:
                continue
            matches.append(
                {
                    "case_id": other["id"],
                    "number": other["number"],
                    "created_at": iso(other["created_at"]),
                    "distance_m": round(distance, 1),
                    "hours_apart": round(
                        (case["created_at"] - other["created_at"]).total_seconds() / 3600, 2
                    ),
                    "similarity": round(ratio, 3),
                    "same_reporter": bool(case["reporter_id"])
                    and other["reporter_id"] == case["reporter_id"],
                    "title": other["title"],
                }
            )
        if not matches:
            continue
        matches.sort(key=lambda m: (-m["similarity"], m["distance_m"]))
        drafts.append(
            FlagDraft(
                rule=Rule.NEAR_DUPLICATE,
                case_id=case["id"],
                subject_id=case["reporter_id"],
                related_case_ids=[m["case_id"] for m in matches],
                evidence={
                    "title": case["title"],
                    "created_at": iso(case["created_at"]),
                    "matches": matches[:10],
                    "match_count": len(matches),
                    "thresholds": {
                        "radius_m": radius,
                        "window_hours": span.total_seconds() / 3600,
                        "min_similarity": min_similarity,
                    },
                },
            )
        )
    return drafts
