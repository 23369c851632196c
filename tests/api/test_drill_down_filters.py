"""The drill-down filters of the dashboard: district, community, department."""

from __future__ import annotations

import pytest

from cases.models import CaseStatus

from ..cases.personas import case_in, new_case

pytestmark = pytest.mark.django_db


def test_drill_down_filters(cast, client):
    client.force_login(cast.staff)
    dispatched = case_in(cast, CaseStatus.DISPATCHED)
    new_case(cast)
    t = cast.territory

    def numbers(**params):
        response = client.get("/api/v1/cases/", params)
        assert response.status_code == 200, response.content
        return {row["number"] for row in response.json()["results"]}

    assert len(numbers(district=t.district.full_code)) == 2
    assert len(numbers(community=t.community1.full_code)) == 2
    assert numbers(community=t.community2.full_code) == set()
    assert numbers(department=t.department.pk) == {dispatched.number}
    for bad in ("x", "0", str(2**64)):
        assert client.get("/api/v1/cases/", {"department": bad}).status_code == 400
