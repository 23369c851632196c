"""报到率 and average arrival time per department (吹哨报到, issue 16): counted from the
summonses, from the case table and from the rollups alike, and drilled down to exactly the
cases of the summonses counted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assessment.models import ArrivalRollup
from assessment.rollups import roll_up_days
from cases.models import Summons

from .conftest import S, at, make_case

pytestmark = pytest.mark.django_db
URL = "/api/v1/indicators/"


@pytest.fixture
def summonses(territory, worker_a, period, other_department):
    """In the period: the department (城管) summoned 6 times — 4 on time (10, 20, 30, 20
    minutes), 1 late (50 minutes), 1 never checked in; the other department once, on time
    (12 minutes). Before the period: one more, not counted."""
    day = period[0] + timedelta(days=1)
    dept, other = territory.department, other_department

    def summons(department, minutes, *, when=day, limit=30, late_mark=False):
        case = make_case(territory.cell_a, status=S.HANDLING, created=at(when, 8),
                         accepted_at=at(when, 8), department=dept, reporter=worker_a)  # fmt: skip
        start = at(when, 9)
        return Summons.objects.create(
            case=case,
            department=department,
            summoned_at=start,
            arrive_by=start + timedelta(minutes=limit),
            checked_in_at=None if minutes is None else start + timedelta(minutes=minutes),
            overdue=late_mark,
        )

    rows = [summons(dept, m) for m in (10, 20, 30, 20)]
    rows.append(summons(dept, 50, late_mark=True))
    rows.append(summons(dept, None, late_mark=True))
    rows.append(summons(other, 12))
    summons(dept, 5, when=period[0] - timedelta(days=3))
    return rows


def _department_rows(client, period):
    params = {"start": period[0].isoformat(), "end": period[1].isoformat(), "level": "department"}
    return {r["id"]: r for r in client.get(URL, {**params}).json()["results"]}


@pytest.mark.parametrize("rolled", [False, True])
def test_check_in_rate_and_arrival_time(
    summonses, client_for, district_admin, territory, other_department, period, rolled
):
    if rolled:
        roll_up_days(period[0] - timedelta(days=10), period[1])
        assert ArrivalRollup.objects.filter(department=territory.department).count() == 2
        Summons.objects.all().delete()  # the rolled-up days are read from the rollups alone
    rows = _department_rows(client_for(district_admin), period)
    lead = rows[territory.department.pk]
    assert lead["counts"]["summoned"] == 6
    assert lead["counts"]["checked_in"] == 5
    assert lead["counts"]["checked_in_on_time"] == 4
    assert lead["indicators"]["check_in_rate"] == round(4 / 6, 4)
    assert lead["fractions"]["check_in_rate"] == [4, 6]
    assert lead["indicators"]["avg_arrival_minutes"] == round((10 + 20 + 30 + 20 + 50) / 5, 1)
    other = rows[other_department.pk]
    assert other["counts"]["summoned"] == 1
    assert other["indicators"]["check_in_rate"] is None  # one summons is no rate
    assert other["indicators"]["avg_arrival_minutes"] == 12.0


def test_drill_down_lists_the_cases_of_the_summonses_counted(
    summonses, client_for, district_admin, territory, period
):
    client = client_for(district_admin)
    lead = _department_rows(client, period)[territory.department.pk]
    for figure, expected in (
        ("summoned", summonses[:6]),
        ("checked_in_on_time", summonses[:4]),
    ):
        listed = client.get(f"{lead['links']['api']}&figure={figure}&page_size=50").json()
        assert listed["count"] == lead["counts"][figure]
        assert {c["id"] for c in listed["results"]} == {s.case_id for s in expected}


@pytest.mark.parametrize("level", ["cell", "department", "worker"])
def test_exports_carry_the_arrival_columns_for_departments_only(
    summonses, client_for, district_admin, period, level
):
    params = {"start": period[0], "end": period[1], "level": level, "as": "csv"}
    response = client_for(district_admin).get(f"{URL}export/", params)
    assert response.status_code == 200  # the fuzz found a 500 here once
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert ("吹哨数" in header) == (level == "department")


def test_on_time_means_the_same_on_the_case_page_and_in_the_figures(territory, worker_a, period):
    """One definition of 按时报到: checked in by ``arrive_by`` and never marked late by the
    scanner. A check-in the scanner had already marked late is late everywhere."""
    from assessment.arrivals import live_counts
    from assessment.rollups import day_start

    day = period[0] + timedelta(days=1)
    case = make_case(territory.cell_a, status=S.HANDLING, created=at(day, 8),
                     accepted_at=at(day, 8), department=territory.department,
                     reporter=worker_a)  # fmt: skip
    start = at(day, 9)
    summons = Summons.objects.create(
        case=case,
        department=territory.department,
        summoned_at=start,
        arrive_by=start + timedelta(minutes=30),
        checked_in_at=start + timedelta(minutes=29),
        overdue=True,  # the scanner's mark, made before the check-in was recorded
    )
    counts = live_counts(day_start(day), day_start(day + timedelta(days=1)),
                         streets=[case.street_id])  # fmt: skip
    assert counts[(territory.department.pk, case.street_id)]["on_time"] == 0
    assert summons.on_time is False


@pytest.fixture
def twice(territory, worker_a, period):
    """The department summoned to three cases: to the one in cell A twice (late the first time,
    on time the second), once to one in cell B (on time) and once to one in street 2 (on time)."""
    day = period[0] + timedelta(days=1)
    dept = territory.department

    def case_in(cell):
        return make_case(cell, status=S.HANDLING, created=at(day, 8), accepted_at=at(day, 8),
                         department=dept, reporter=worker_a)  # fmt: skip

    def summons(case, hour, minutes, *, when=day):
        start = at(when, hour)
        return Summons.objects.create(
            case=case,
            department=dept,
            summoned_at=start,
            arrive_by=start + timedelta(minutes=30),
            checked_in_at=start + timedelta(minutes=minutes),
            overdue=minutes > 30,
        )

    a = case_in(territory.cell_a)
    summons(a, 9, 45)
    summons(a, 14, 10, when=day + timedelta(days=1))  # the next day: across rollup days
    summons(case_in(territory.cell_b), 9, 10)
    summons(case_in(territory.cell_x), 9, 10)
    return a


@pytest.mark.parametrize("rolled", [False, True])
@pytest.mark.parametrize("narrow", [None, "district", "street"])
def test_the_figures_count_the_cases_their_drill_down_lists(
    twice, client_for, district_admin, territory, period, rolled, narrow
):
    """A department summoned twice to one case counts that case once (吹哨数 counts cases, as
    its drill-down lists them; 报到 on time is the first summons'), under every filter."""
    if rolled:
        roll_up_days(period[0] - timedelta(days=10), period[1])
    client = client_for(district_admin)
    params = {"start": period[0].isoformat(), "end": period[1].isoformat(), "level": "department"}
    if narrow is not None:
        params[narrow] = getattr(
            territory, {"district": "district", "street": "street1"}[narrow]
        ).pk
    rows = {r["id"]: r for r in client.get(URL, params).json()["results"]}
    lead = rows[territory.department.pk]
    expected = {"summoned": 3, "checked_in_on_time": 2}
    if narrow == "street":
        expected = {"summoned": 2, "checked_in_on_time": 1}
    for figure, count in expected.items():
        listed = client.get(f"{lead['links']['api']}&figure={figure}&page_size=50").json()
        assert lead["counts"][figure] == listed["count"] == count, figure
    assert lead["fractions"]["check_in_rate"] == [
        expected["checked_in_on_time"],
        expected["summoned"],
    ]
