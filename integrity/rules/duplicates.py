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

and then, because a worker who types the same quick-fill phrase (模板短语) at the same corner
twice in a week need not be refiling anything, only when chance explains the pair badly.
``chance`` is how many reports of that kind, naming that place, the filer would be expected
to file that close to the earlier one (at least the GPS scatter, 5 m) and that soon after it
(at least an hour) if reports fell at random at their own usual rate there:

    chance = (n + 1) · share · (distance / R)² · (hours apart / T)

- ``n``: the filer's other reports within ``INTEGRITY_DUPLICATE_RATE_RADIUS_M`` (R, 50 m)
  of the later one in the ``INTEGRITY_DUPLICATE_RATE_DAYS`` (T, 90 days) before it. A worker
  whose round passes this corner daily meets its problems again by chance; a worker of
  another cell who files at a corner they otherwise never file at does not.
- ``share``: the share of the span's reports (this one left out) that are of the earlier
  one's kind (its sub-category, or the major class for a sibling) and name the place both
  name — or, when the two read word for word alike (names cut out), that read so: a phrase
  hundreds of reports use is weak evidence, a wording only these two share is strong. Where
  the agreement rests on a place, the share is scaled by how much more (or less) often that
  place is named around here — everyone's reports within R in the T days before, the pair
  left out — than in the district (``_Shares.of``): the reports by an east gate name it.

A pair is flagged when ``chance`` is at most ``INTEGRITY_DUPLICATE_MAX_CHANCE``.

Reports without an account are compared with earlier ones of the same cell only (their
"filer" is the cell). A later case that street staff already merged into the earlier one is
left alone. The flag sits on the later case and names the earlier one(s), the most
improbable first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from cases.models import Case, CaseStatus, Category
from grids.geometry import degree_box, haversine_m
from grids.models import Community, GridCell, Street

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


# How many reports' worth the district's share of a place weighs against the reports around a
# case: with 30 reports around, a place none of them names is still not taken for unnamed.
PLACE_PRIOR_REPORTS = 10

# A phone's fix scatters about this much: two reports closer than this are "at one spot" and
# no closer one is more telling. Two reports within the hour are as telling as an hour apart.
GPS_SCATTER_M = 5.0
MIN_GAP = timedelta(hours=1)


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
    places = [
        *Community.objects.values_list("name", flat=True),
        *Street.objects.values_list("name", flat=True),
    ]
    names = ProperNames([*places, *Category.objects.values_list("name", flat=True)])
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
    # Buckets at least a radius wide at the batch's widest latitude (the 3 × 3 around a case
    # must hold every report within the radius), as ``cases.duplicates`` sizes its own.
    dlon, dlat = degree_box(max(abs(c["lat"]) for c in new), radius)
    buckets: dict[tuple, list[dict]] = defaultdict(list)

    def bucket(row: dict) -> tuple[int, int, int]:
        group = major.get(row["category_id"]) or row["category_id"]
        return group, int(row["lon"] // dlon), int(row["lat"] // dlat)

    for row in pool:
        buckets[bucket(row)].append(row)

    limits = (radius, span, same_event, min_similarity, names)
    found: list[tuple[dict, list[tuple[dict, dict]]]] = []
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
                        matches.append((other, match))
        if matches:
            found.append((case, matches))
    if not found:
        return []

    max_chance = float(setting("INTEGRITY_DUPLICATE_MAX_CHANCE"))
    rate_radius = float(setting("INTEGRITY_DUPLICATE_RATE_RADIUS_M"))
    rate_days = float(setting("INTEGRITY_DUPLICATE_RATE_DAYS"))
    shares = _Shares(pool, names, major, wording=ProperNames(places))
    around = _neighbourhoods(
        [case for case, _m in found], radius=rate_radius, days=rate_days, places=shares.places_of
    )
    drafts = []
    for case, candidates in found:
        here = around[case["id"]]
        matches = []
        for other, match in candidates:
            why = shares.of(case, other, here)
            gap = max(case["created_at"] - other["created_at"], MIN_GAP) / timedelta(days=rate_days)
            near = max(match["distance_m"], GPS_SCATTER_M) / rate_radius
            chance = (here.filer + 1) * why["share_here"] * near**2 * gap
            if chance <= max_chance:
                matches.append(
                    match
                    | why
                    | {"filer_reports_nearby": here.filer, "chance": float(f"{chance:.3g}")}
                )
        if not matches:
            continue
        matches.sort(key=lambda m: (m["chance"], -m["similarity"], m["distance_m"]))
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
                    "chance": matches[0]["chance"],
                    "thresholds": {
                        "radius_m": radius,
                        "window_hours": span.total_seconds() / 3600,
                        "same_event_hours": same_event.total_seconds() / 3600,
                        "min_similarity": min_similarity,
                        "max_chance": max_chance,
                        "rate_radius_m": rate_radius,
                        "rate_days": rate_days,
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


@dataclass
class _Here:
    """The reports within the rate radius of a case in the days before it: how many its filer
    made, how many everyone made, and how many of those name each place."""

    filer: int = 0
    reports: int = 0
    places: Counter = field(default_factory=Counter)
    ids: set[int] = field(default_factory=set)


def _neighbourhoods(cases: list[dict], *, radius: float, days: float, places) -> dict[int, _Here]:
    """``_Here`` for each case: everyone's reports (any status) within ``radius`` metres of it in
    the ``days`` before it, read from the cells that reach that close. ``places(row)`` gives
    the places a report names. One query for the cells, one for the reports."""
    dlon, dlat = degree_box(max(abs(c["lat"]) for c in cases), radius)
    cells = list(GridCell.objects.values_list("id", "min_lon", "max_lon", "min_lat", "max_lat"))
    boxes = np.array([c[1:] for c in cells], dtype=float)
    ids = np.array([c[0] for c in cells])
    wanted: set[int] = {c["cell_id"] for c in cases if c["cell_id"]}
    for case in cases:
        reach = (
            (boxes[:, 0] <= case["lon"] + dlon)
            & (boxes[:, 1] >= case["lon"] - dlon)
            & (boxes[:, 2] <= case["lat"] + dlat)
            & (boxes[:, 3] >= case["lat"] - dlat)
        )
        wanted.update(int(i) for i in ids[reach])
    lookback = timedelta(days=days)
    rows = Case.objects.filter(
        cell_id__in=sorted(wanted),
        created_at__gte=min(c["created_at"] for c in cases) - lookback,
        created_at__lt=max(c["created_at"] for c in cases),
    ).values("id", "reporter_id", "cell_id", "lon", "lat", "created_at", "title", "description")
    buckets: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for row in rows.iterator(chunk_size=20_000):
        buckets[int(row["lon"] // dlon), int(row["lat"] // dlat)].append(row)
    around = {}
    for case in cases:
        here = around[case["id"]] = _Here()
        since = case["created_at"] - lookback
        bx, by = int(case["lon"] // dlon), int(case["lat"] // dlat)
        for ix in (bx - 1, bx, bx + 1):
            for iy in (by - 1, by, by + 1):
                for row in buckets.get((ix, iy), ()):
                    if (
                        row["id"] == case["id"]
                        or not since <= row["created_at"] < case["created_at"]
                        or haversine_m(case["lon"], case["lat"], row["lon"], row["lat"]) > radius
                    ):
                        continue
                    here.reports += 1
                    here.ids.add(row["id"])
                    here.places.update(places(row))
                    if _filer(row) == _filer(case):
                        here.filer += 1
    return around


class _Shares:
    """How common, among the span's reports, a kind of report naming a place is, and how
    common a wording is: what a pair's agreement is worth."""

    def __init__(
        self, pool: list[dict], names: ProperNames, major: dict[int, int], *, wording: ProperNames
    ) -> None:
        """``names``: what ``disagreement`` reads places with; ``wording``: the names a
        wording is read without (communities and streets: the same words in another
        community are the same phrase; a category's name is part of the words)."""
        self.names, self.major = names, major
        self.total = len(pool)
        self.kinds: Counter = Counter()
        self.places: Counter = Counter()
        self.named: Counter = Counter()  # reports naming each place, whatever their kind
        self.phrases: Counter = Counter()
        self._read: dict[str, frozenset[str]] = {}
        for row in pool:
            row["phrase"] = wording.cut(row["text"])
            self.phrases[row["phrase"]] += 1
            kinds = (("category", row["category_id"]), ("class", self._class(row)))
            self.kinds.update(kinds)
            named = self._places(row)
            self.named.update(named)
            for place in named:
                self.places.update((*kind, place) for kind in kinds)

    def _class(self, row: dict) -> int:
        return self.major.get(row["category_id"]) or row["category_id"]

    def _places(self, row: dict) -> frozenset[str]:
        numbers, spots = self.names.identifiers(row["text"])
        return numbers | spots

    def places_of(self, row: dict) -> frozenset[str]:
        """The places a report's title and description name (read once per wording)."""
        raw = f"{row['title']}{row['description']}"
        if raw not in self._read:
            self._read[raw] = self._places({"text": normalise(raw)})
        return self._read[raw]

    def of(self, case: dict, other: dict, here: _Here) -> dict:
        """The share of the span's reports, ``case`` left out, that agree with ``case`` as
        much as ``other`` does, and on what ("phrase", "place" or "kind"); and that share
        where the two were filed (``share_here``), when the two name a place (in the same
        words or not).

        A place is named more often where it is: a report by the east gate says "东门" far
        more often than the district's reports do. So the share of reports naming it is read
        from the reports around the case as well — everyone's in the rate radius and days,
        the pair left out — drawn towards the district's share by ``PLACE_PRIOR_REPORTS``
        reports' worth (a few reports around say little), and the district's share of the
        kind of report naming it is scaled by how much more often it is named here."""
        if case["category_id"] == other["category_id"]:
            kind = ("category", other["category_id"])
        else:
            kind = ("class", self._class(other))
        shared = sorted(self._places(case) & self._places(other))
        by, count, place = "kind", self.kinds[kind], None
        if shared:
            # The place the agreement rests on: the one the fewest reports of the kind name.
            place = min(shared, key=lambda p: (self.places[(*kind, p)], p))
            by, count = "place", self.places[(*kind, place)]
        if case["phrase"] == other["phrase"] and self.phrases[case["phrase"]] <= count:
            by, count = "phrase", self.phrases[case["phrase"]]
        share = max(count - 1, 1) / max(self.total - 1, 1)
        found = {
            "agree_on": by,
            "shared_places": shared,
            "agreeing_reports": count - 1,
            "share": float(f"{share:.3g}"),
            "share_here": float(f"{share:.3g}"),
        }
        if place is None:
            return found
        # The pair left out on both sides: of the district's reports and of those around.
        district = max(self.named[place] - 2, 1) / max(self.total - 2, 1)
        left = int(other["id"] in here.ids)
        naming, reports = here.places[place] - left, here.reports - left
        local = (naming + PLACE_PRIOR_REPORTS * district) / (reports + PLACE_PRIOR_REPORTS)
        factor = local / district
        return found | {
            "share_here": float(f"{share * factor:.3g}"),
            "place_here": {
                "place": place,
                "naming": naming,
                "reports": reports,
                "district_share": float(f"{district:.3g}"),
                "factor": round(factor, 2),
            },
        }
