"""The honest-clock actions over HTTP: a suspension's review date, the district admin's binding
assignment (指定承办) and the refusals around it, and what a case shows of its clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ..cases.personas import case_in, returned_twice

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


def test_a_case_returned_twice_is_assigned_by_the_district_admin(cast, district_admin, client_for):
    cast.admin = district_admin
    case = returned_twice(cast, case_in(cast, "accepted"))
    staff, admin, handler = (client_for(u) for u in (cast.staff, district_admin, cast.handler))
    url = f"{CASES}{case.pk}/"

    shown = staff.get(url).json()
    assert (shown["return_count"], shown["awaiting_binding"], shown["allowed_actions"]) == (
        2,
        True,
        [],
    )
    response = staff.post(f"{url}dispatch/", {"department": cast.department.pk}, format="json")
    assert response.status_code == 409
    assert "returned twice" in response.json()["detail"]
    response = staff.post(
        f"{url}assign_binding/", {"department": cast.department.pk}, format="json"
    )
    assert response.status_code == 403

    assert admin.get(url).json()["allowed_actions"] == ["assign_binding"]
    response = admin.post(f"{url}assign_binding/", {}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["department"])
    response = admin.post(
        f"{url}assign_binding/", {"department": cast.department.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["binding"]) == ("dispatched", True)

    response = handler.post(f"{url}return/", {"reason": "非本部门职责"}, format="json")
    assert response.status_code == 409
    assert "binding" in response.json()["detail"]


def test_a_suspension_shows_its_review_date_and_suspended_time(cast, client_for):
    case = case_in(cast, "handling")
    staff = client_for(cast.staff)
    review = timezone.now() + timedelta(days=7)
    response = staff.post(
        f"{CASES}{case.pk}/suspend/",
        {"reason": "等待产权单位确认", "review_at": review.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (
        response.json()["review_at"] and response.json()["due_at"] == response.json()["review_at"]
    )
    resumed = staff.post(f"{CASES}{case.pk}/resume/", {}, format="json").json()
    assert resumed["review_at"] is None
    assert resumed["suspended_seconds"] >= 0
    events = staff.get(f"{CASES}{case.pk}/events/").json()
    assert "suspended_seconds" in events[-1]["payload"]
