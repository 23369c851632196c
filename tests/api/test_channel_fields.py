"""The API files a worker's case as patrol with the category's priority; a client that tries
to set either is told so (400 naming the field), not silently ignored."""

from __future__ import annotations

import pytest

from cases.models import Case

from ..cases.personas import POINT_A

pytestmark = pytest.mark.django_db


def _body(**extra) -> dict:
    return {
        "title": "井盖丢失",
        "description": "人行道上水井盖丢失",
        "category": "C0101",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        **extra,
    }


@pytest.mark.parametrize("extra", [{"source": "open311"}, {"priority": "urgent"}])
def test_a_client_may_not_set_the_source_or_priority(cast, client_for, extra):
    """Before: a grid worker could label their own report source=open311 (counted as the
    public's) or priority=urgent."""
    response = client_for(cast.reporter).post("/api/v1/cases/", _body(**extra), format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(extra)
    assert not Case.objects.exists()


def test_a_workers_case_is_patrol_with_the_categorys_priority(cast, client_for):
    response = client_for(cast.reporter).post("/api/v1/cases/", _body(), format="json")
    assert response.status_code == 201
    case = Case.objects.get()
    assert (case.source, case.priority) == ("patrol", case.category.default_priority)
    assert case.tracking_code is None
