"""Near-duplicate reports (疑似重复上报): the same thing filed again to pad the case count.

Intake already flags, for street staff to merge, any earlier case of the same sub-category
within 50 m in the 72 hours before (``cases.duplicates``, ``DuplicateCandidate``). This rule
looks for a different thing — a report *refiled*, reworded so it does not look copied. A
case is flagged when an earlier case that was not rejected

- is of the same sub-category or a sibling (same major class: a refile under a neighbouring
  category is still the same problem),
- lies within ``INTEGRITY_DUPLICATE_RADIUS_M`` (30 m: GPS scatter of one spot),
- was filed at most ``INTEGRITY_DUPLICATE_WINDOW_HOURS`` before (7 days; a problem that comes
  back weeks later is a recurring problem, not a copy),
- was filed by the same worker, or by another worker at least
  ``INTEGRITY_DUPLICATE_SAME_EVENT_HOURS`` (6 h) before. Two workers reporting one event
  within hours of each other both saw it: that is a merge candidate for street staff
  (intake's duplicate check), not a fabricated report. The other worker refiling it later —
  from a neighbouring cell, say — is.
- reads alike where it matters (``integrity.rules.text``): the bigram cosine, weighted by how
  rare each bigram is among the span's reports, is at least
  ``INTEGRITY_DUPLICATE_MIN_SIMILARITY``, and their numbers and named spots do not disagree
  (read with the district's community, street and category names cut out: a community
  called 樱花园 does not put "花园" in every report of it).

Reports without an account are compared with earlier ones of the same cell only. A later
case that street staff already merged into the earlier one is left alone. The flag sits on
the later case and names the earlier one(s).
"""

from __future__ import annotations

from collections import defaultdict

from cases.models import Case, CaseStatus, Category
from grids.geometry import degree_box, haversine_m
from grids.models import Community, Street

from ..conf import hours, setting
from ..models import Rule
from .base import FlagDraft, Window, iso
from .text import Corpus, ProperNames, disagreement, normalise

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


def _filer(row: dict) -> tuple[str, int]:
    return ("worker", row["reporter_id"]) if row["reporter_id"] else ("cell", row["cell_id"])


def near_duplicates(window: Window) -> list[FlagDraft]:
    radius = float(setting("INTEGRITY_DUPLICATE_RADIUS_M"))
    span = hours("INTEGRITY_DUPLICATE_WINDOW_HOURS")
    same_event = hours("INTEGRITY_DUPLICATE_SAME_EVENT_HOURS")
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
    major = dict(Category.objects.values_list("id", "parent_id"))
    objects = sorted(
        {
            normalise(name)
            for name in Category.objects.subcategories().values_list("name", flat=True)
        }
    )
    names = ProperNames(
        [
            *Community.objects.values_list("name", flat=True),
            *Street.objects.values_list("name", flat=True),
            *Category.objects.values_list("name", flat=True),
        ]
    )
    pool = list(
        Case.objects.filter(
            created_at__gte=min(c["created_at"] for c in new) - span,
            created_at__lte=max(c["created_at"] for c in new),
        )
        .exclude(status=CaseStatus.REJECTED)
        .values(*_FIELDS)
        .iterator(chunk_size=10_000)
    )
    for row in pool:
        row["text"] = normalise(f"{row['title']}{row['description']}")
    corpus = Corpus(row["text"] for row in pool)
    by_id = {row["id"]: row for row in pool}

    # Buckets of one radius: a case's neighbours are in its bucket or the eight around it.
    dlon, dlat = degree_box(new[0]["lat"], radius)
    buckets: dict[tuple, list[dict]] = defaultdict(list)

    def bucket(row: dict) -> tuple[int, int, int]:
        group = major.get(row["category_id"]) or row["category_id"]
        return group, int(row["lon"] // dlon), int(row["lat"] // dlat)

    for row in pool:
        buckets[bucket(row)].append(row)

    limits = (radius, span, same_event, min_similarity, names)
    drafts = []
    for case in new:
        case = by_id.get(case["id"], case)
        if "text" not in case:
            continue
        group, bx, by = bucket(case)
        matches = []
        for ix in (bx - 1, bx, bx + 1):
            for iy in (by - 1, by, by + 1):
                for other in buckets.get((group, ix, iy), ()):
                    match = _match(case, other, corpus, objects, limits)
                    if match:
                        matches.append(match)
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
                    "similarity": matches[0]["similarity"],
                    "thresholds": {
                        "radius_m": radius,
                        "window_hours": span.total_seconds() / 3600,
                        "same_event_hours": same_event.total_seconds() / 3600,
                        "min_similarity": min_similarity,
                    },
                },
            )
        )
    return drafts


def _match(case, other, corpus, objects, limits) -> dict | None:
    """The evidence that ``case`` refiles ``other``, or None."""
    radius, span, same_event, min_similarity, names = limits
    if (other["created_at"], other["id"]) >= (case["created_at"], case["id"]):
        return None
    apart = case["created_at"] - other["created_at"]
    same_filer = _filer(case) == _filer(other)
    if (
        apart > span
        or case["duplicate_of_id"] == other["id"]
        or (not same_filer and (not case["reporter_id"] or apart < same_event))
    ):
        return None
    distance = haversine_m(case["lon"], case["lat"], other["lon"], other["lat"])
    if distance > radius or disagreement(case["text"], other["text"], objects, names):
        return None
    ratio = corpus.similarity(case["text"], other["text"])
    if ratio < min_similarity:
        return None
    return {
        "case_id": other["id"],
        "number": other["number"],
        "created_at": iso(other["created_at"]),
        "distance_m": round(distance, 1),
        "hours_apart": round(apart.total_seconds() / 3600, 2),
        "similarity": round(ratio, 3),
        "same_reporter": same_filer and bool(case["reporter_id"]),
        "same_category": other["category_id"] == case["category_id"],
        "shared_terms": corpus.shared_terms(case["text"], other["text"]),
        "title": other["title"],
    }
