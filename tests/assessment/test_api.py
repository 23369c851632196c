"""GET /api/v1/indicators/ (and its trend and export): scope, parameters, shape, queries."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from assessment.rollups import roll_up_days
from grids.models import GridCell

from .conftest import S, at, make_case

URL = "/api/v1/indicators/"


def _get(client, period, **params):
    return client.get(URL, {"start": period[0].isoformat(), "end": period[1].isoformat(), **params})


@pytest.fixture
def street2_case(territory, worker_x, period):
    """A closed case in street 2 (cell X), handled by the same department as street 1's."""
    day = period[0] + timedelta(days=1)
    return make_case(
        territory.cell_x,
        status=S.CLOSED,
        created=at(day, 8),
        accepted_at=at(day, 9),
        closed_at=at(day, 12),
        reporter=worker_x,
        department=territory.department,
    )


def test_street_staff_see_their_street_only(
    client_for, street_staff, dataset, street2_case, territory, period
):
    client = client_for(street_staff)
    streets = _get(client, period, level="street").json()["results"]
    assert [r["id"] for r in streets] == [territory.street1.pk]
    assert streets[0]["counts"]["filed"] == 6  # cell A's six, not street 2's case
    cells = _get(client, period, level="cell").json()["results"]
    assert {r["id"] for r in cells} == {territory.cell_a.pk, territory.cell_b.pk}
    # the department's work, as far as it happened in street 1
    departments = _get(client, period, level="department").json()["results"]
    assert [(r["id"], r["counts"]["closed"]) for r in departments] == [(territory.department.pk, 4)]
    # another street's units, the district as a whole: absent
    assert _get(client, period, level="cell", street=territory.street2.pk).json()["count"] == 0
    assert _get(client, period, level="district").json()["count"] == 0
    response = _get(client, period, level="cell", cell=territory.cell_x.pk)
    assert response.status_code == 200 and response.json()["results"] == []


def test_district_admin_sees_the_district(
    client_for, district_admin, dataset, street2_case, territory, period
):
    client = client_for(district_admin)
    streets = {r["id"]: r for r in _get(client, period, level="street").json()["results"]}
    assert set(streets) == {territory.street1.pk, territory.street2.pk}
    assert streets[territory.street2.pk]["counts"]["closed"] == 1
    (district,) = _get(client, period, level="district").json()["results"]
    assert district["counts"]["closed"] == 5  # 4 in street 1 + 1 in street 2
    departments = _get(client, period, level="department").json()["results"]
    assert [r["counts"]["closed"] for r in departments] == [5]


def test_others_may_not_read_assessments(client_for, worker_a, handler, outsider, period):
    for user in (worker_a, handler, outsider):
        assert _get(client_for(user), period, level="cell").status_code == 403
    assert _get(APIClient(), period, level="cell").status_code in (401, 403)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"level": "planet"}, "level"),
        ({}, "level"),
        ({"level": "cell", "start": "2026-02-30"}, "start"),
        ({"level": "cell", "start": "yesterday"}, "start"),
        ({"level": "cell", "start": "2026-05-02", "end": "2026-05-01"}, "end"),
        ({"level": "cell", "start": "2020-01-01", "end": "2026-01-01"}, "end"),
        ({"level": "cell", "start": "2999-01-01", "end": "2999-01-02"}, "start"),
        ({"level": "cell", "street": "abc"}, "street"),
        ({"level": "cell", "street": "-3"}, "street"),
        ({"level": "department", "community": "1"}, "level"),
    ],
)
def test_bad_parameters_are_400_with_field_errors(client_for, street_staff, params, field):
    response = client_for(street_staff).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_row_shape_and_drill_down_links(client_for, street_staff, dataset, territory, period):
    row = next(
        r
        for r in _get(client_for(street_staff), period, level="cell").json()["results"]
        if r["id"] == territory.cell_a.pk
    )
    assert row["code"] == territory.cell_a.full_code and row["grade"] == "C"
    assert set(row["counts"]) >= {"filed", "closed", "closed_on_time", "due", "backlog"}
    assert set(row["indicators"]) >= {"closing_rate", "on_time_rate", "rework_rate"}
    query = f"level=cell&unit={territory.cell_a.pk}&start={period[0]}&end={period[1]}"
    assert row["links"] == {
        "page": f"/dashboard/cases/?{query}",
        "api": f"/api/v1/indicators/cases/?{query}",
    }
    assert row["fractions"]["closing_rate"] == [4, 6]
    # the link leads to cases the reader can open
    cases = client_for(street_staff).get(f"{row['links']['api']}&figure=filed")
    assert cases.status_code == 200 and cases.json()["count"] == 6


def _make_cells(territory, n, day, *, first: int):
    cells = [
        GridCell.objects.create(
            community=territory.community1, code=f"{i:03d}", name=f"C{i}", geometry=None
        )
        for i in range(first, first + n)
    ]
    for i, cell in enumerate(cells):
        make_case(cell, status=S.CLOSED, created=at(day, 8), accepted_at=at(day, 9),
                  closed_at=at(day, 10), late=False, department=territory.department,
                  source="resident" if i % 2 else "patrol")  # fmt: skip
    return cells


TABLES = [(level, "table") for level in ("cell", "community", "street", "department", "worker")]
TABLES += [("cell", "map"), ("worker", "map")]


@pytest.mark.parametrize("rolled", [False, True])
def test_query_count_does_not_grow_with_units(client_for, street_staff, territory, period, rolled):
    client = client_for(street_staff)
    day = period[0] + timedelta(days=1)
    counts = []
    for first, n in ((100, 10), (200, 90)):  # 10 cells, then 100
        _make_cells(territory, n, day, first=first)
        if rolled:
            roll_up_days(period[0], period[1])
        for level, view in TABLES:
            with CaptureQueriesContext(connection) as ctx:
                response = _get(client, period, level=level, view=view)
            assert response.status_code == 200
            counts.append((level, view, len(ctx.captured_queries)))
    first, second = counts[: len(TABLES)], counts[len(TABLES) :]
    assert first == second
    assert _get(client, period, level="cell").json()["count"] == 102  # A, B and 100


def test_trend_by_day_and_month(client_for, street_staff, dataset, territory, period):
    client = client_for(street_staff)
    response = client.get(f"{URL}trend/", {"start": period[0], "end": period[1], "bucket": "day"})
    assert response.status_code == 200
    days = response.json()["results"]
    assert len(days) == 7
    assert sum(d["counts"]["filed"] for d in days) == 6
    assert sum(d["counts"]["closed"] for d in days) == 4
    assert days[-1]["counts"]["backlog"] == 4  # open at the end of D7
    assert days[0]["counts"]["filed"] == 2  # c1, c2 on D1
    roll_up_days(period[0] - timedelta(days=40), period[1])
    months = client.get(
        f"{URL}trend/", {"start": period[0], "end": period[1], "bucket": "month"}
    ).json()["results"]
    assert sum(m["counts"]["filed"] for m in months) == 6
    assert months[-1]["counts"]["backlog"] == 4
    assert client.get(f"{URL}trend/", {"bucket": "week"}).status_code == 400


def test_the_trend_counts_overdue_cases_at_each_buckets_end(
    client_for, street_staff, dataset, period
):
    """c5's deadline passed before D1, c4's at noon on D5: both still open and overdue."""
    client = client_for(street_staff)
    days = client.get(
        f"{URL}trend/", {"start": period[0], "end": period[1], "bucket": "day"}
    ).json()["results"]
    assert [d["counts"]["overdue_open"] for d in days] == [1, 1, 1, 1, 2, 2, 2]
    months = client.get(
        f"{URL}trend/", {"start": period[0], "end": period[1], "bucket": "month"}
    ).json()["results"]
    due = [dataset["c5"].due_at, dataset["c4"].due_at]
    expected = []
    for month in months:
        first = date.fromisoformat(month["period"])
        next_month = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = min(next_month, period[1] + timedelta(days=1))
        expected.append(sum(when < at(end, 0) for when in due))
    assert [m["counts"]["overdue_open"] for m in months] == expected
    assert expected[-1] == 2


def test_export_csv_and_xlsx_respect_scope(
    client_for, street_staff, dataset, street2_case, territory, period
):
    client = client_for(street_staff)
    params = {"start": period[0], "end": period[1], "level": "cell"}
    response = client.get(f"{URL}export/", {**params, "as": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, rows = lines[0], lines[1:]

    def column(chinese: str) -> int:  # headers carry the Chinese term in any language
        return next(i for i, name in enumerate(header) if chinese in name)

    codes = {row[column("编码")] for row in rows}
    assert codes == {territory.cell_a.full_code, territory.cell_b.full_code}
    row_a = next(r for r in rows if r[column("编码")] == territory.cell_a.full_code)
    assert row_a[column("立案数")] == "6"
    assert row_a[column("结案率")] == "66.7%"
    assert row_a[column("结案率") + 1] == "4/6"  # numerator/denominator beside the rate
    assert row_a[column("满意率")] == "—"  # three ratings: too few
    assert row_a[column("等级")] == "C"
    link = row_a[column("链接")]
    assert link.startswith("http://testserver/dashboard/cases/?") and "figure=filed" in link
    # local time (Asia/Shanghai), to the minute: the export's own clock, not UTC
    exported = datetime.strptime(row_a[column("导出时间")], "%Y-%m-%d %H:%M")
    local_now = timezone.localtime().replace(tzinfo=None)
    assert abs(local_now - exported) < timedelta(minutes=2)

    response = client.get(f"{URL}export/", {**params, "as": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert len(values) == 3 and "编码" in values[0][1]
    assert {v[1] for v in values[1:]} == codes

    assert client.get(f"{URL}export/", {**params, "as": "pdf"}).status_code == 400
    worker = street2_case.reporter  # a grid worker: no assessments
    assert client_for(worker).get(f"{URL}export/", params).status_code == 403


def test_the_map_view_has_the_tables_grades_in_a_fraction_of_the_bytes(
    client_for, street_staff, dataset, territory, period
):
    client = client_for(street_staff)
    table = _get(client, period, level="cell")
    map_ = _get(client, period, level="cell", view="map")
    assert map_.status_code == 200
    body = map_.json()
    assert body["view"] == "map" and body["count"] == table.json()["count"]
    full = {r["id"]: r for r in table.json()["results"]}
    for row in body["results"]:
        expected = full[row["id"]]
        assert row == {
            "id": expected["id"],
            "grade": expected["grade"],
            "score": expected["score"],
            "counts": {"backlog": expected["counts"]["backlog"]},
            "indicators": {"satisfaction_rate": expected["indicators"]["satisfaction_rate"]},
        }
        link = body["links"]["page_head"] + str(row["id"]) + body["links"]["page_tail"]
        assert link == expected["links"]["page"]
    assert len(map_.content) * 5 < len(table.content)
    assert _get(client, period, level="cell", view="chart").json() == {
        "view": ['"chart" is not a valid choice.']
    }
