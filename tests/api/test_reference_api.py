"""Categories, departments, cells, notifications, me, and the schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases.models import Category
from workflows.models import Notification

from ..cases.personas import POINT_A, POINT_B, POINT_NOWHERE, new_case
from ..factories import DepartmentFactory, DistrictFactory

pytestmark = pytest.mark.django_db


def test_categories_are_the_active_subcategories(cast, client_for):
    Category.objects.filter(code="C0102").update(is_active=False)
    rows = client_for(cast.reporter).get("/api/v1/categories/").json()
    by_code = {row["code"]: row for row in rows}
    assert "C0101" in by_code and "C0102" not in by_code and "C01" not in by_code
    assert by_code["C0101"]["family"] == "C"
    assert by_code["C0101"]["priority"] == "high"
    assert by_code["C0101"]["parent_name"] == Category.objects.get(code="C01").name


def test_departments_of_the_users_districts(cast, client_for, outsider, other_department):
    DepartmentFactory(district=cast.territory.district, name="停用", is_active=False)
    elsewhere = DistrictFactory(code="110106", name="丰台区")
    DepartmentFactory(district=elsewhere, name="别区城管")
    rows = client_for(cast.reporter).get("/api/v1/departments/").json()
    assert {row["name"] for row in rows} == {cast.department.name, other_department.name}
    assert set(rows[0]) == {"id", "name", "kind"}
    refused = client_for(outsider).get("/api/v1/departments/")  # no assignment: nothing to serve
    assert refused.status_code == 403
    assert "no current assignment" in refused.json()["detail"]


def test_cells_the_user_serves_with_geometry(cast, client_for, outsider):
    territory = cast.territory
    worker = client_for(cast.reporter)
    [cell] = worker.get("/api/v1/cells/").json()
    assert cell["code"] == territory.cell_a.full_code
    assert cell["street"] == territory.street1.full_code
    assert cell["community"] == territory.community1.full_code
    assert cell["geometry"]["type"] == "Polygon"
    staff_cells = client_for(cast.staff).get("/api/v1/cells/").json()
    assert [c["code"] for c in staff_cells] == [
        territory.cell_a.full_code,
        territory.cell_b.full_code,
    ]
    refused = client_for(outsider).get("/api/v1/cells/")  # no assignment: nothing to serve
    assert refused.status_code == 403
    assert "no current assignment" in refused.json()["detail"]


def test_the_cells_are_rendered_once_per_territory_and_scope_and_revalidated_with_a_304(
    cast, client_for, django_assert_max_num_queries
):
    """The dashboard's map and the phone's offline store fetch every cell's polygon on each
    load (3,000 of them, a megabyte, two seconds of serialising in a district): the answer
    carries an ETag of the territory and the reader's cells, a revalidation is a 304 with no
    body, and the body is rendered once per territory version and set of cells."""
    staff = client_for(cast.staff)
    first = staff.get("/api/v1/cells/")
    etag = first["ETag"]
    assert first.status_code == 200 and etag and "no-cache" in first["Cache-Control"]
    again = staff.get("/api/v1/cells/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    # The token, the scope, the cell ids, the territory stamp (4), the cache: no cell rows.
    with django_assert_max_num_queries(9):
        assert staff.get("/api/v1/cells/").content == first.content
    # Another reader's cells are another answer; a changed cell is a new answer.
    worker = client_for(cast.reporter)
    assert worker.get("/api/v1/cells/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    cell = cast.territory.cell_b
    cell.name = "B 改名"
    cell.save()
    renamed = staff.get("/api/v1/cells/", HTTP_IF_NONE_MATCH=etag)
    assert renamed.status_code == 200 and renamed["ETag"] != etag
    assert "B 改名" in [c["name"] for c in renamed.json()]


def test_cell_at_a_point(cast, client_for):
    worker = client_for(cast.reporter)

    def at(lon, lat):
        return worker.get("/api/v1/cells/", {"lon": lon, "lat": lat})

    assert [c["name"] for c in at(*POINT_A).json()] == ["A"]
    assert at(*POINT_B).json() == []  # cell B exists, but worker_a does not serve it
    assert at(*POINT_NOWHERE).json() == []
    for bad in [("abc", POINT_A[1]), (POINT_A[0], 95), ("nan", 1), ("1e999", 1)]:
        response = at(*bad)
        assert response.status_code == 400, bad
    response = worker.get("/api/v1/cells/", {"lon": POINT_A[0]})
    assert response.status_code == 400
    assert "lat" in response.json()


def test_notifications_are_the_users_own_newest_first(cast, client_for):
    case = new_case(cast)
    first = Notification.objects.create(user=cast.reporter, case=case, kind="reminder", message="1")
    second = Notification.objects.create(user=cast.reporter, kind="action_needed", message="2")
    theirs = Notification.objects.create(user=cast.staff, kind="reminder", message="3")
    client = client_for(cast.reporter)
    page = client.get("/api/v1/notifications/").json()
    assert [row["id"] for row in page["results"]] == [second.pk, first.pk]
    assert page["results"][1]["case_number"] == case.number

    response = client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert response.status_code == 200
    read_at = response.json()["read_at"]
    assert read_at
    again = client.post(f"/api/v1/notifications/{first.pk}/read/").json()
    assert again["read_at"] == read_at
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/api/v1/notifications/abc/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_me(cast, client_for):
    territory = cast.territory
    me = client_for(cast.reporter).get("/api/v1/me/").json()
    assert me["username"] == "worker_a"
    assert me["roles"] == ["grid_worker"]
    assert me["cells"] == [territory.cell_a.pk]
    assert me["streets"] == [territory.street1.pk]
    assert me["departments"] == []
    handler = client_for(cast.handler).get("/api/v1/me/").json()
    assert (handler["roles"], handler["departments"]) == (["handler"], [cast.department.pk])
    staff = client_for(cast.staff).get("/api/v1/me/").json()
    assert (staff["roles"], staff["cells"], staff["streets"]) == (
        ["street_staff"],
        [],
        [territory.street1.pk],
    )
    assert APIClient().get("/api/v1/me/").status_code in (401, 403)


def test_schema_and_docs(db):
    client = APIClient()
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/cases/{id}/verify_pass/" in response.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"/api/v1/cases/{id}/dispatch/" in docs.content
    assert b"cdn" not in docs.content.lower()
