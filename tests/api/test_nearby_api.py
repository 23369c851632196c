"""``GET /api/v1/cases/nearby/``: "already reported? add to it" on the worker's report form —
open cases of the same category within 50 m, in the worker's scope, nearest first."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from cases.services import create_case

from ..cases.personas import POINT_A, case_in, new_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/nearby/"
METRE = 1 / 111_320  # of latitude, in degrees


def near(client, point=POINT_A, category="C0101"):
    return client.get(URL, {"lon": point[0], "lat": point[1], "category": category})


def report_at(user, point, category="C0101") -> Case:
    return create_case(
        by=user,
        title="井盖丢失",
        description="人行道上水井盖丢失",
        category_code=category,
        lon=point[0],
        lat=point[1],
    )


def test_open_cases_of_the_category_within_50_m_nearest_first(cast, client_for):
    far = report_at(cast.reporter, (POINT_A[0], POINT_A[1] + 60 * METRE))
    second = report_at(cast.reporter, (POINT_A[0], POINT_A[1] + 30 * METRE))
    first = report_at(cast.worker_a2, (POINT_A[0], POINT_A[1] + 5 * METRE))
    report_at(cast.reporter, POINT_A, category="C0102")  # another category
    response = near(client_for(cast.reporter))
    assert response.status_code == 200
    rows = response.json()
    assert [r["id"] for r in rows] == [first.pk, second.pk]
    assert far.pk not in [r["id"] for r in rows]
    assert rows[0]["url"] == f"/cases/{first.pk}/"
    assert 4 < rows[0]["distance_m"] < 6


def test_closed_and_rejected_cases_are_not_offered(cast, client_for):
    case_in(cast, "closed")
    case_in(cast, "rejected")
    assert near(client_for(cast.reporter)).json() == []


def test_cases_outside_the_scope_are_not_shown(cast, client_for, worker_x):
    new_case(cast)
    assert near(client_for(worker_x)).json() == []


def test_a_bad_query_is_a_field_error(cast, client_for):
    response = client_for(cast.reporter).get(URL, {"lon": "x", "lat": 200})
    assert response.status_code == 400
    assert set(response.json()) == {"lon", "lat", "category"}


@pytest.mark.parametrize("count", [1, 4])
def test_query_count_is_constant(cast, client_for, count):
    client = client_for(cast.reporter)
    for _ in range(count):
        new_case(cast)
    with CaptureQueriesContext(connection) as queries:
        assert len(near(client).json()) == count
    assert len(queries) == 5, [q["sql"] for q in queries.captured_queries]
