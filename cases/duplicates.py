"""Duplicate detection at intake (疑似重复, DESIGN §4): the same problem reported twice.

A candidate is an earlier case of the same sub-category within ``RADIUS_M`` metres, filed in
the ``WINDOW`` before the new one, that was not rejected. Candidates are stored as
``DuplicateCandidate`` rows and street staff are told; merging stays a human decision.

Reports of one problem point at its first report, not at each other: a case already flagged
as a possible duplicate (a *follower*) is a candidate only when no first report (a *root*)
is near, and a case gets at most ``MAX_CANDIDATES``. So N reports of one pothole store N − 1
rows (each pointing at the first), not N²/2, and the rows grow with the true near pairs.

A batch of new cases is searched at once (``find_candidates_many``): one query over a grid
hash of the batch's points (cells of at least ``RADIUS_M``; each case looks at its own cell
and the eight around it), however many cases the batch holds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext as _

from grids.geometry import degree_box, haversine_m
from workflows.models import NotificationKind
from workflows.notifications import Draft, Recipients, notify_many

from .models import Case, CaseStatus, DuplicateCandidate

RADIUS_M = 50.0
WINDOW = timedelta(hours=72)
MAX_CANDIDATES = 5
_CANDIDATE_FIELDS = ("id", "number", "category_id", "lon", "lat", "created_at")

Found = list[tuple[Case, float]]  # (earlier case, distance in metres), nearest first


class _GridHash:
    """Square buckets of at least ``RADIUS_M`` a side at every latitude of the batch."""

    def __init__(self, cases: Sequence[Case]) -> None:
        widest = max(abs(c.lat) for c in cases)
        self.dlon, self.dlat = degree_box(widest, RADIUS_M)

    def key(self, lon: float, lat: float) -> tuple[int, int]:
        return math.floor(lon / self.dlon), math.floor(lat / self.dlat)

    def around(self, lon: float, lat: float) -> list[tuple[int, int]]:
        x, y = self.key(lon, lat)
        return [(x + i, y + j) for i in (-1, 0, 1) for j in (-1, 0, 1)]

    def box_q(self, key: tuple[int, int]) -> Q:
        """The bucket ``key`` and its eight neighbours, as lon/lat ranges."""
        x, y = key
        return Q(
            lon__gte=(x - 1) * self.dlon,
            lon__lt=(x + 2) * self.dlon,
            lat__gte=(y - 1) * self.dlat,
            lat__lt=(y + 2) * self.dlat,
        )


def find_candidates_many(cases: Sequence[Case]) -> dict[int, Found]:
    """The candidates of each of ``cases`` (by case id), stored as ``DuplicateCandidate``
    rows (once each). Three queries for the whole batch: the earlier cases around the
    batch's buckets, which of them are followers, and the insert."""
    cases = sorted(
        (c for c in cases if c.status != CaseStatus.REJECTED), key=lambda c: (c.created_at, c.pk)
    )
    if not cases:
        return {}
    grid = _GridHash(cases)
    wanted = {(c.category_id, grid.key(c.lon, c.lat)) for c in cases}
    area = reduce(or_, (Q(category_id=cat) & grid.box_q(key) for cat, key in wanted))
    nearby = list(
        Case.objects.filter(
            area,
            created_at__gte=min(c.created_at for c in cases) - WINDOW,
            created_at__lte=max(c.created_at for c in cases),
        )
        .exclude(status=CaseStatus.REJECTED)
        .only(*_CANDIDATE_FIELDS)
    )
    followers = set(
        DuplicateCandidate.objects.filter(case_id__in=[c.pk for c in nearby]).values_list(
            "case_id", flat=True
        )
    )
    buckets: dict[tuple, list[Case]] = defaultdict(list)
    for other in nearby:
        buckets[other.category_id, grid.key(other.lon, other.lat)].append(other)
    found: dict[int, Found] = {}
    for case in cases:  # oldest first: a case flagged here is a follower for the later ones
        found[case.pk] = _candidates(case, buckets, grid, followers)
        if found[case.pk]:
            followers.add(case.pk)
    DuplicateCandidate.objects.bulk_create(
        [
            DuplicateCandidate(case_id=pk, candidate=other, distance_m=round(distance, 1))
            for pk, pairs in found.items()
            for other, distance in pairs
        ],
        ignore_conflicts=True,
    )
    return found


def _candidates(case: Case, buckets: dict, grid: _GridHash, followers: set[int]) -> Found:
    start, window_start = (case.created_at, case.pk), case.created_at - WINDOW
    near = []
    for key in grid.around(case.lon, case.lat):
        for other in buckets.get((case.category_id, key), ()):
            if other.created_at < window_start or (other.created_at, other.pk) >= start:
                continue
            distance = haversine_m(case.lon, case.lat, other.lon, other.lat)
            if distance <= RADIUS_M:
                near.append((other, distance))
    roots = [pair for pair in near if pair[0].pk not in followers]
    return sorted(roots or near, key=lambda pair: (pair[1], pair[0].pk))[:MAX_CANDIDATES]


def find_duplicate_candidates(case: Case) -> Found:
    """The candidates of one case, nearest first; see ``find_candidates_many``."""
    return find_candidates_many([case]).get(case.pk, [])


def duplicate_drafts(case: Case, found: Found, recipients: Recipients) -> list[Draft]:
    """The street staff's notice that ``case`` may duplicate the ``found`` cases (none if
    nothing was found), keyed once per case."""
    if not found:
        return []
    numbers = ", ".join(f"{other.number} ({distance:.0f} m)" for other, distance in found)
    message = _(
        "Case %(number)s “%(title)s” may duplicate %(count)d recent case(s) nearby: %(others)s."
    ) % {"number": case.number, "title": case.title, "count": len(found), "others": numbers}
    return [
        Draft(user, case.pk, NotificationKind.DUPLICATE, message, f"duplicate:{case.pk}")
        for user in sorted(recipients.street_staff(case))
    ]


def flag_duplicates(case_id: int) -> int:
    """Look for duplicates of a newly filed case and tell the street's staff (once) if any.
    Returns the number of candidates; a vanished or rejected case has none."""
    case = Case.objects.select_related("street").filter(pk=case_id).first()
    if case is None:
        return 0
    found = find_duplicate_candidates(case)
    notify_many(duplicate_drafts(case, found, Recipients([case])))
    return len(found)
