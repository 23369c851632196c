"""Joint handling over HTTP (吹哨报到, issue 16): ``POST /api/v1/cases/{id}/{action}/`` for the
joint actions — 200 with the case (its parts and summonses), 400 with field errors, 403 not
this user's, 404 out of scope, 409 not in this state — and constant query counts for a
co-department's list."""

from __future__ import annotations

import pytest

from cases.models import CaseStatus

from ..cases.personas import POINT_A, POINT_X, act, case_in, with_co_department

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


@pytest.fixture
def joint(cast, other_handler):
    return with_co_department(cast, other_handler)


def test_dispatch_with_a_co_department_summon_check_in_and_report(joint, client_for):
    case = case_in(joint, CaseStatus.HANDLING)
    staff, lead, co = (client_for(u) for u in (joint.staff, joint.handler, joint.co_handler))
    url = f"{CASES}{case.pk}/"
    assert co.get(url).status_code == 404  # not shared yet
    body = {"department": joint.co_department.pk, "note": "清理消防通道"}
    response = staff.post(f"{url}add_codepartment/", body, format="json")
    assert response.status_code == 200, response.json()
    shown = response.json()
    assert shown["open_parts"] == 1
    assert [p["department"] for p in shown["parts"]] == [joint.co_department.pk]
    assert co.get(url).json()["allowed_actions"] == ["report_part"]

    departments = [joint.department.pk, joint.co_department.pk]
    response = staff.post(f"{url}summon/", {"departments": departments}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["pending_summons"] == 2
    far = {"lon": POINT_X[0], "lat": POINT_X[1]}
    response = co.post(f"{url}check_in/", far, format="json")
    assert response.status_code == 400 and "lon" in response.json()
    response = co.post(f"{url}check_in/", {"lon": POINT_A[0], "lat": POINT_A[1]}, format="json")
    assert response.status_code == 200
    assert staff.post(f"{url}check_in/", {}, format="json").status_code == 403

    response = lead.post(f"{url}report/", {"note": "已拆除"}, format="multipart")
    assert response.status_code == 400 and "photos" in response.json()  # the category's rule
    response = co.post(f"{url}report_part/", {"note": "通道已清理"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "handling")
    events = staff.get(f"{url}events/").json()
    actions = [e["action"] for e in events]
    assert actions[-4:] == ["add_codepartment", "summon", "check_in", "report_part"]


def test_refusals_say_why(joint, client_for):
    case = case_in(joint, CaseStatus.HANDLING)
    staff, lead = client_for(joint.staff), client_for(joint.handler)
    url = f"{CASES}{case.pk}/"
    response = staff.post(f"{url}approve_transfer/", {}, format="json")
    assert response.status_code == 409
    assert "No transfer request" in response.json()["detail"]
    response = staff.post(f"{url}release_part/", {"reason": "x"}, format="json")
    assert response.status_code == 409
    response = staff.post(f"{url}summon/", {"departments": ["x"]}, format="json")
    assert response.status_code == 400 and "departments" in response.json()
    response = staff.post(f"{url}summon/", {}, format="json")
    assert response.status_code == 400 and "departments" in response.json()
    response = lead.post(f"{url}request_transfer/", {"reason": "非本部门"}, format="json")
    assert response.status_code == 400 and "department" in response.json()
    body = {"reason": "属市场监管", "department": joint.co_department.pk}
    assert lead.post(f"{url}request_transfer/", body, format="json").status_code == 200
    assert lead.post(f"{url}request_transfer/", body, format="json").status_code == 409
    shown = staff.get(url).json()
    assert shown["transfer_to"] == joint.co_department.pk
    assert {"approve_transfer", "refuse_transfer"} <= set(shown["allowed_actions"])
    closed = case_in(joint, CaseStatus.CLOSED)
    response = staff.post(f"{CASES}{closed.pk}/summon/", {"departments": [1]}, format="json")
    assert response.status_code == 409


@pytest.mark.parametrize("n", [1, 4])
def test_a_co_departments_list_has_constant_queries(
    joint, client_for, django_assert_max_num_queries, n
):
    for _i in range(n):
        act(joint, "summon", act(joint, "add_codepartment", case_in(joint, CaseStatus.HANDLING)))
    co = client_for(joint.co_handler)
    with django_assert_max_num_queries(12):
        response = co.get(CASES)
    assert response.json()["count"] == n
    assert all(
        c["allowed_actions"] == ["report_part", "check_in"] for c in response.json()["results"]
    )
