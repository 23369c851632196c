"""Joint handling on the pages (吹哨报到): the case page's parts and summonses and forms, the
co-department's department page, transfer requests in the staff queue's approvals — each
with a query count that does not grow with the rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import CaseStatus

from ..cases.personas import act, case_in, with_co_department
from .test_pages import queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(cast, other_handler):
    return with_co_department(cast, other_handler)


def _joint_case(joint):
    case = act(joint, "add_codepartment", case_in(joint, CaseStatus.HANDLING))
    return act(joint, "summon", case)


def test_the_case_page_shows_parts_summonses_and_the_joint_forms(joint, as_user):
    case = _joint_case(joint)
    page = as_user(joint.staff).get(reverse("case-page", args=[case.pk])).content.decode()
    assert page.count('data-testid="part"') == 1 and page.count('data-testid="summons"') == 2
    assert joint.co_department.name in page
    for action in ("add_codepartment", "summon", "release_part"):
        assert f'data-action="{action}"' in page
    co_page = as_user(joint.co_handler).get(reverse("case-page", args=[case.pk])).content.decode()
    assert 'data-action="report_part"' in co_page and 'data-action="check_in"' in co_page
    assert 'name="lon"' in co_page  # filled from the phone's GPS by checkin.js


def test_a_co_departments_page_lists_its_joint_cases_in_constant_queries(joint, as_user):
    client = as_user(joint.co_handler)
    _joint_case(joint)
    case_in(joint, CaseStatus.HANDLING)  # the lead's alone: not shown
    small, response = queries(client, reverse("department") + "?tab=progress")
    assert response.content.count(b'data-testid="department-case"') == 1
    for _i in range(4):
        _joint_case(joint)
    large, response = queries(client, reverse("department") + "?tab=progress")
    assert response.content.count(b'data-testid="department-case"') == 5
    assert small == large


def test_transfer_requests_wait_in_the_approvals(joint, as_user):
    case = act(joint, "request_transfer", case_in(joint, CaseStatus.HANDLING))
    client = as_user(joint.staff)
    small, response = queries(client, reverse("queue") + "?tab=approvals")
    assert case.number.encode() in response.content
    # (decided on the case page, whose approve/refuse forms test_joint_api covers)
    for _i in range(4):
        act(joint, "request_transfer", case_in(joint, CaseStatus.HANDLING))
    large, _response = queries(client, reverse("queue") + "?tab=approvals")
    assert small == large


def test_the_co_department_form_as_a_browser_sends_it(joint, as_user):
    """The form's optional deadline comes as an empty field: the case's deadline then."""
    case = case_in(joint, CaseStatus.DISPATCHED)
    url = reverse("case-action", args=[case.pk, "add_codepartment"])
    body = {"department": joint.co_department.pk, "note": "核查消防通道", "due_at": ""}
    response = as_user(joint.staff).post(url, body, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()[:800]
    assert case.parts.get().due_at == case.due_at
    url = reverse("case-action", args=[case.pk, "summon"])
    body = {"departments": [joint.department.pk, joint.co_department.pk], "note": ""}
    response = as_user(joint.staff).post(url, body, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()[:800]
    assert case.summonses.count() == 2
