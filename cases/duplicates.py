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
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import or_

import numpy as np
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from grids.geometry import degree_box, haversine_array
from workflows.models import NotificationKind
from workflows.notifications import Draft, Recipients, notify_many

from .models import Case, CaseStatus, DuplicateCandidate

RADIUS_M = 50.0
WINDOW = timedelta(hours=72)
MAX_CANDIDATES = 5
# In the model's field order: ``Case.from_db`` takes a subset's values in that order.
_CANDIDATE_FIELDS = tuple(
    f.attname
    for f in Case._meta.concrete_fields
    if f.attname in {"id", "number", "category_id", "lon", "lat", "created_at"}
)
_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WINDOW_US = WINDOW // _MICROSECOND

Found = list[tuple[Case, float]]  # (earlier case, distance in metres), nearest first


class _GridHash:
    """Square buckets of at least ``RADIUS_M`` a side at every latitude of the batch."""

    def __init__(self, cases: Sequence[Case]) -> None:
        widest = max(abs(c.lat) for c in cases)
        self.dlon, self.dlat = degree_box(widest, RADIUS_M)

    def key(self, lon: float, lat: float) -> tuple[int, int]:
        return math.floor(lon / self.dlon), math.floor(lat / self.dlat)

    def neighbours(self, key: tuple[int, int]) -> list[tuple[int, int]]:
        """The bucket ``key`` and its eight neighbours."""
        x, y = key
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
    rows (once each). Two queries for the whole batch: the earlier cases around the batch's
    buckets (with whether each is a follower already), and the insert.

    The earlier cases are read as plain rows and measured against the batch's cases of a
    bucket at once (arrays, not a loop over pairs); only the chosen candidates become
    ``Case`` objects. A case of the batch is a follower for the later ones exactly when it
    has an earlier case near (it is then flagged itself), so followers need no order."""
    cases = [c for c in cases if c.status != CaseStatus.REJECTED]
    if not cases:
        return {}
    grid = _GridHash(cases)
    wanted = {(c.category_id, grid.key(c.lon, c.lat)) for c in cases}
    area = reduce(or_, (Q(category_id=cat) & grid.box_q(key) for cat, key in wanted))
    nearby = _Nearby(
        Case.objects.filter(
            area,
            created_at__gte=min(c.created_at for c in cases) - WINDOW,
            created_at__lte=max(c.created_at for c in cases),
        )
        .exclude(status=CaseStatus.REJECTED)
        .annotate(follower=Exists(DuplicateCandidate.objects.filter(case_id=OuterRef("pk"))))
        .order_by()
        .values_list(*_CANDIDATE_FIELDS, "follower"),
        grid,
    )
    found = nearby.candidates(cases)
    DuplicateCandidate.objects.bulk_create(
        [
            DuplicateCandidate(case_id=pk, candidate=other, distance_m=round(distance, 1))
            for pk, pairs in found.items()
            for other, distance in pairs
        ],
        ignore_conflicts=True,
    )
    return found


def _micros(at: datetime) -> int:
    """``at`` as whole microseconds since 1970 (exact, unlike a float timestamp)."""
    return (at - _EPOCH) // _MICROSECOND


class _Nearby:
    """The earlier cases around a batch (rows of ``_CANDIDATE_FIELDS`` and whether each is a
    follower already), as arrays per bucket."""

    def __init__(self, rows, grid: _GridHash) -> None:
        self.db, self.rows, self.grid = rows.db, list(rows), grid
        names = (*_CANDIDATE_FIELDS, "follower")
        columns = list(zip(*self.rows, strict=True)) or [()] * len(names)
        column = dict(zip(names, columns, strict=True))
        self.ids = np.array(column["id"], dtype=np.int64)
        self.lon = np.array(column["lon"], dtype=float)
        self.lat = np.array(column["lat"], dtype=float)
        self.at = np.array([_micros(at) for at in column["created_at"]], dtype=np.int64)
        self.follower = np.array(column["follower"], dtype=bool)
        self.row_of = dict(zip(column["id"], range(len(self.rows)), strict=True))
        buckets: dict[tuple, list[int]] = defaultdict(list)
        for i, (category, lon, lat) in enumerate(
            zip(column["category_id"], column["lon"], column["lat"], strict=True)
        ):
            buckets[category, grid.key(lon, lat)].append(i)
        self.buckets = {key: np.array(rows, dtype=np.int64) for key, rows in buckets.items()}
        self._cases: dict[int, Case] = {}

    def candidates(self, cases: Sequence[Case]) -> dict[int, Found]:
        """Per case id, its candidates: of the earlier cases of its category within
        ``RADIUS_M`` filed in the ``WINDOW`` before it, the first reports if any is near, else
        all; the ``MAX_CANDIDATES`` nearest, the older first at one distance."""
        near = [self._near(members) for members in self._groups(cases)]
        for members, _rows, _metres, hit in near:  # a case flagged now is a follower
            for case, any_near in zip(members, hit.any(axis=1), strict=True):
                if any_near and case.pk in self.row_of:
                    self.follower[self.row_of[case.pk]] = True
        found: dict[int, Found] = {case.pk: [] for case in cases}
        for members, rows, metres, hit in near:
            roots = hit & ~self.follower[rows]
            pick = np.where(roots.any(axis=1, keepdims=True), roots, hit)
            for r, case in enumerate(members):
                cols = np.flatnonzero(pick[r])
                cols = cols[np.lexsort((self.ids[rows[cols]], metres[r, cols]))]
                found[case.pk] = [
                    (self.case(int(rows[c])), float(metres[r, c])) for c in cols[:MAX_CANDIDATES]
                ]
        return found

    def _groups(self, cases: Sequence[Case]) -> list[list[Case]]:
        """``cases`` by category and bucket."""
        groups: dict[tuple, list[Case]] = defaultdict(list)
        for case in cases:
            groups[case.category_id, self.grid.key(case.lon, case.lat)].append(case)
        return list(groups.values())

    def _near(self, members: list[Case]) -> tuple:
        """For cases of one category and bucket: (members, the rows around them, metres
        from each member to each row, which rows are near and earlier within the window)."""
        key = self.grid.key(members[0].lon, members[0].lat)
        category = members[0].category_id
        found = [self.buckets.get((category, k)) for k in self.grid.neighbours(key)]
        rows = np.concatenate([r for r in found if r is not None] or [np.zeros(0, np.int64)])
        lon = np.array([c.lon for c in members])[:, None]
        lat = np.array([c.lat for c in members])[:, None]
        at = np.array([_micros(c.created_at) for c in members], dtype=np.int64)[:, None]
        pk = np.array([c.pk for c in members], dtype=np.int64)[:, None]
        other_at, other_pk = self.at[rows], self.ids[rows]
        metres = haversine_array(lon, lat, self.lon[rows], self.lat[rows])
        earlier = (other_at < at) | ((other_at == at) & (other_pk < pk))
        hit = (metres <= RADIUS_M) & earlier & (other_at >= at - _WINDOW_US)
        return members, rows, metres, hit

    def case(self, row: int) -> Case:
        """The row as a ``Case`` with only ``_CANDIDATE_FIELDS`` loaded (once per row)."""
        if row not in self._cases:
            values = self.rows[row][: len(_CANDIDATE_FIELDS)]
            self._cases[row] = Case.from_db(self.db, _CANDIDATE_FIELDS, values)
        return self._cases[row]


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
