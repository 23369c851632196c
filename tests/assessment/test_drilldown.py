"""Drill-down lists exactly the cases a figure counts: every figure of every row of every
level, from the case table and from the rollups (issue 12 item 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assessment.drilldown import ARRIVAL_FIGURES, FIGURES
from assessment.models import Satisfaction
from assessment.rollups import roll_up_days
from grids.models import Assignment

from .conftest import S, at, make_case

URL = "/api/v1/indicators/"
LEVELS = ("district", "street", "community", "cell", "department", "worker")


@pytest.fixture
def more(dataset, reports, territory, worker_a, worker_b, period):
    """Besides the hand-built cases and the public reports: self-resolved cases — one checked
    by another cell, one confirmed by a resident's rating, one nobody independent checked —
    and enough ratings for a 满意率."""
    Assignment.objects.filter(user=worker_b).update(valid_from=period[0] - timedelta(days=60))
    day = period[0] + timedelta(days=2)
    kw = {"reporter": worker_a, "created": at(day, 8), "reported_at": at(day, 8)}
    make_case(territory.cell_a, status=S.CLOSED, closed_at=at(day, 10), cross_check=True, **kw)
    rated = make_case(territory.cell_a, status=S.CLOSED, closed_at=at(day, 10), **kw)
    Satisfaction.objects.create(case=rated, score=4, rated_at=at(day, 18), channel="phone")
    make_case(territory.cell_a, status=S.CLOSED, closed_at=at(day, 10), **kw)
    for i in range(4):
        case = make_case(territory.cell_b, status=S.CLOSED, created=at(day, 8),
                         accepted_at=at(day, 9), closed_at=at(day, 11), reporter=worker_b,
                         department=territory.department)  # fmt: skip
        Satisfaction.objects.create(case=case, score=2 + i, rated_at=at(day, 12), channel="link")


@pytest.mark.parametrize("rolled", [False, True])
def test_every_figure_of_every_row_drills_down_to_exactly_its_cases(
    more, client_for, district_admin, period, rolled
):
    if rolled:
        roll_up_days(period[0] - timedelta(days=10), period[1])
    client = client_for(district_admin)
    params = {"start": period[0].isoformat(), "end": period[1].isoformat()}
    checked = 0
    for level in LEVELS:
        rows = client.get(URL, {**params, "level": level}).json()["results"]
        assert rows, level
        for row in rows:
            for figure in FIGURES:
                if figure in ARRIVAL_FIGURES and level != "department":
                    continue  # summonses are counted per department (test_arrivals)
                response = client.get(f"{row['links']['api']}&figure={figure}&page_size=200")
                assert response.status_code == 200, response.content
                listed = response.json()
                assert listed["count"] == row["counts"][figure], (level, row["name"], figure)
                assert len({c["id"] for c in listed["results"]}) == listed["count"]
                checked += listed["count"] > 0
    assert checked > 40  # most of those lists are not empty


def test_the_page_lists_the_same_cases(more, client, district_admin, client_for, period):
    api = client_for(district_admin)
    params = {"start": period[0].isoformat(), "end": period[1].isoformat(), "level": "cell"}
    row = api.get(URL, params).json()["results"][0]
    client.force_login(district_admin)
    page = client.get(f"{row['links']['page']}&figure=filed")
    assert page.status_code == 200
    listed = api.get(f"{row['links']['api']}&figure=filed").json()["results"]
    assert page.content.decode().count('data-testid="figure-case"') == row["counts"]["filed"]
    assert all(c["number"] in page.content.decode() for c in listed)


def test_bad_or_foreign_drilldowns(more, client, client_for, street_staff, territory, period):
    api = client_for(street_staff)
    base = {"start": period[0].isoformat(), "end": period[1].isoformat(), "level": "cell"}
    foreign = {**base, "unit": territory.cell_x.pk, "figure": "filed"}  # street 2's cell
    assert api.get(f"{URL}cases/", foreign).status_code == 404
    for bad, field in [({"figure": "everything"}, "figure"), ({"unit": "x"}, "unit"),
                       ({"start": "2026-02-30"}, "start")]:  # fmt: skip
        params = {**base, "unit": territory.cell_a.pk, "figure": "filed", **bad}
        response = api.get(f"{URL}cases/", params)
        assert response.status_code == 400 and field in response.json()
    client.force_login(street_staff)
    assert client.get("/dashboard/cases/", foreign).status_code == 404
    assert client.get("/dashboard/cases/", {**base, "figure": "x"}).status_code == 400
