"""Duplicate candidates at intake: same category, within 50 m, filed in the last 72 hours."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from cases.duplicates import find_duplicate_candidates, flag_duplicates
from cases.models import Case, DuplicateCandidate
from cases.services import create_case
from grids.geometry import haversine_m
from workflows.models import Notification, NotificationKind

from .personas import POINT_A, act

pytestmark = pytest.mark.django_db

LON, LAT = POINT_A


def east(metres: float) -> float:
    """The longitude ``metres`` east of POINT_A."""
    return LON + math.degrees(metres / (6_371_008.8 * math.cos(math.radians(LAT))))


def report(cast, *, lon: float = LON, category: str = "C0101", hours_ago: float = 0) -> Case:
    case = create_case(
        by=cast.reporter,
        title="井盖丢失",
        description="人行道上水井盖丢失",
        category_code=category,
        lon=lon,
        lat=LAT,
    )
    if hours_ago:
        Case.objects.filter(pk=case.pk).update(
            created_at=case.created_at - timedelta(hours=hours_ago)
        )
        case.refresh_from_db()
    return case


def test_haversine_is_in_metres():
    assert haversine_m(LON, LAT, LON, LAT + 0.001) == pytest.approx(111.2, abs=0.1)
    assert haversine_m(LON, LAT, east(30), LAT) == pytest.approx(30, abs=0.01)


def test_a_near_recent_case_of_the_same_category_is_a_candidate(cast):
    earlier = report(cast, hours_ago=10)
    case = report(cast, lon=east(30))
    ((found, distance),) = find_duplicate_candidates(case)
    assert found == earlier and distance == pytest.approx(30, abs=0.5)
    row = DuplicateCandidate.objects.get()
    assert (row.case, row.candidate, round(row.distance_m)) == (case, earlier, 30)


@pytest.mark.parametrize(
    "earlier",
    [
        {"lon": east(-80)},  # too far
        {"category": "C0104"},  # another category
        {"hours_ago": 4 * 24},  # too old
    ],
    ids=["80m", "other-category", "4-days-old"],
)
def test_far_other_category_or_old_cases_are_not_candidates(cast, earlier):
    report(cast, **earlier)
    case = report(cast)
    assert find_duplicate_candidates(case) == []
    assert not DuplicateCandidate.objects.exists()


def test_rejected_cases_and_later_cases_are_not_candidates(cast):
    rejected = report(cast, hours_ago=1)
    act(cast, "reject", rejected)
    case = report(cast, hours_ago=2)
    report(cast)  # filed after ``case``: it will flag ``case``, not the other way round
    assert find_duplicate_candidates(case) == []


def test_flag_duplicates_twice_stores_one_row_and_tells_staff_once(cast):
    earlier = report(cast, hours_ago=10)
    case = report(cast, lon=east(30))
    assert flag_duplicates(case.pk) == 1
    assert flag_duplicates(case.pk) == 1
    assert DuplicateCandidate.objects.filter(case=case).count() == 1
    note = Notification.objects.get(kind=NotificationKind.DUPLICATE)
    assert note.user == cast.staff and note.case == case
    assert earlier.number in note.message
    assert flag_duplicates(earlier.pk) == 0  # nothing before it
    assert flag_duplicates(10**9) == 0
