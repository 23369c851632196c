"""The admin refuses bad codes and invalid GeoJSON with a message saying what is wrong, and its
lists cost a constant number of queries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import GridCell

from ..factories import AssignmentFactory, UserFactory, grid_box

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, territory):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _add_cell(admin_client, territory, **overrides):
    data = {
        "community": territory.community1.pk,
        "code": "003",
        "name": "新网格",
        "geometry": json.dumps(grid_box(0, 0)),
        **overrides,
    }
    return admin_client.post("/admin/grids/gridcell/add/", data)


def test_a_self_intersecting_cell_is_refused_with_the_reason(admin_client, territory):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [
                [116.401, 39.901],
                [116.409, 39.909],
                [116.409, 39.901],
                [116.401, 39.909],
                [116.401, 39.901],
            ]
        ],
    }
    response = _add_cell(admin_client, territory, geometry=json.dumps(bowtie))
    assert response.status_code == 200
    assert "Self-intersection" in response.content.decode()
    assert not GridCell.objects.filter(code="003").exists()


def test_a_cell_outside_its_community_is_refused(admin_client, territory):
    response = _add_cell(admin_client, territory, geometry=json.dumps(grid_box(3, 1)))
    assert "outside" in response.content.decode()
    assert not GridCell.objects.filter(code="003").exists()


def test_a_bad_code_is_refused(admin_client, territory):
    territory.cell_b.delete()
    response = _add_cell(admin_client, territory, code="12", geometry=json.dumps(grid_box(1, 0)))
    assert "3 digits" in response.content.decode()


def test_a_good_cell_is_saved_with_its_full_code(admin_client, territory):
    territory.cell_b.delete()
    response = _add_cell(admin_client, territory, code="002", geometry=json.dumps(grid_box(1, 0)))
    assert response.status_code == 302
    assert GridCell.objects.get(full_code="110105001001002").area_m2 > 0


def test_coverage_action_reports_a_gap(admin_client, territory):
    territory.cell_b.delete()
    response = admin_client.post(
        "/admin/grids/community/",
        {"action": "check_coverage", "_selected_action": [territory.community1.pk]},
        follow=True,
    )
    assert "Gap in community 110105001001" in response.content.decode()


def _add_cells(territory, n: int) -> None:
    start = territory.community2.cells.count() + 10
    for i in range(start, start + n):
        GridCell.objects.create(
            community=territory.community2,
            code=f"{i:03d}",
            name=str(i),
            geometry=territory.community2.geometry,
        )


def _add_assignments(territory, n: int) -> None:
    for _ in range(n):
        AssignmentFactory(scope="cell", cell=territory.cell_a)


@pytest.mark.parametrize(
    ("model", "add_rows"), [("gridcell", _add_cells), ("assignment", _add_assignments)]
)
def test_changelists_cost_the_same_queries_for_more_rows(admin_client, territory, model, add_rows):
    add_rows(territory, 3)
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get(f"/admin/grids/{model}/").status_code == 200
    add_rows(territory, 20)
    with CaptureQueriesContext(connection) as large:
        assert admin_client.get(f"/admin/grids/{model}/").status_code == 200
    assert len(large) == len(small)
