"""The pages over the Django test client: scope and roles from the outsider's side, refusals
with their status codes, the report form, and constant query counts (10 vs 100 rows)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, CaseStatus
from cases.services import create_case
from residents.models import Household, Tag, Visit

from ..factories import ResidentFactory
from .personas import POINT_A, POINT_NOWHERE, POINT_X, act, case_in, new_case, photo

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx), response


# --- constant query counts ------------------------------------------------------------------


def _reports(cast, n: int) -> None:
    for _ in range(n):
        new_case(cast)


def test_worker_home_query_count_does_not_grow_with_rows(cast, as_user):
    client = as_user(cast.reporter)
    _reports(cast, 10)
    small, response = queries(client, reverse("home"))
    # New reports in the worker's cell wait for acceptance within hours: close to deadline.
    assert response.content.count(b'data-testid="task"') == 10
    _reports(cast, 90)
    large, response = queries(client, reverse("home"))
    assert response.content.count(b'data-testid="task"') == 20  # the first 20 shown
    assert small == large


def test_staff_queue_query_count_does_not_grow_with_rows(cast, as_user):
    client = as_user(cast.staff)
    _reports(cast, 10)
    small, response = queries(client, reverse("queue"))
    assert response.content.count(b'data-testid="queue-item"') == 10
    _reports(cast, 90)
    large, response = queries(client, reverse("queue"))
    assert response.content.count(b'data-testid="queue-item"') == 50  # a page of the queue
    assert b"50 of 100 shown." in response.content  # and a footer offering the rest
    assert small + 1 == large  # that footer's count, only when a page is full


def test_the_queue_shows_the_next_reports_in_place(cast, as_user):
    client = as_user(cast.staff)
    _reports(cast, 52)
    page = client.get(reverse("queue")).content.decode()
    assert page.count('data-testid="queue-item"') == 50 and "50 of 52 shown." in page
    for case in Case.objects.filter(status=CaseStatus.COLLECTED).order_by("due_at", "id")[:50]:
        act(cast, "reject", case)  # dealt with from the page
    response = client.get(
        reverse("queue") + "?tab=new", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue"
    )
    part = response.content.decode()
    assert "<html" not in part  # the list alone, swapped into the page
    assert part.count('data-testid="queue-item"') == 2
    assert 'data-testid="queue-more"' not in part  # nothing more waits
    # Any other htmx request for the page (a boosted link, say) still gets the whole page.
    whole = client.get(reverse("queue"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" in whole


@pytest.mark.parametrize("tab", ["approvals", "overdue"])
def test_other_queue_tabs_render(cast, as_user, tab):
    case = case_in(cast, CaseStatus.HANDLING)
    act(cast, "suspend", case)
    response = as_user(cast.staff).get(reverse("queue") + f"?tab={tab}")
    assert response.status_code == 200
    assert (case.number.encode() in response.content) == (tab == "approvals")


def test_department_and_case_page_query_counts(cast, as_user):
    client = as_user(cast.handler)
    for _ in range(3):
        case_in(cast, CaseStatus.DISPATCHED)
    small, _ = queries(client, reverse("department"))
    for _ in range(12):
        case_in(cast, CaseStatus.DISPATCHED)
    large, response = queries(client, reverse("department"))
    assert response.content.count(b'data-testid="department-case"') == 15
    assert small == large
    # A case page costs the same with 5 events as with 8 (a round of rework).
    short_case = case_in(cast, CaseStatus.FEEDBACK)
    long_case = case_in(cast, CaseStatus.FEEDBACK)
    for action in ("verify_fail", "start", "report"):
        long_case = act(cast, action, long_case)
    short, _ = queries(client, reverse("case-page", args=[short_case.pk]))
    long, response = queries(client, reverse("case-page", args=[long_case.pk]))
    assert response.content.count(b'data-testid="timeline-step"') == 8
    assert short == long


# --- scope and roles, from the outsider's side ------------------------------------------


def test_outsiders_get_404_for_case_page_photo_and_action(cast, as_user, staff2, worker_x):
    case = new_case(cast)
    for user in (staff2, worker_x):
        client = as_user(user)
        assert client.get(reverse("case-page", args=[case.pk])).status_code == 404
        assert client.get(reverse("case-photo", args=[case.pk, 1])).status_code == 404
        response = client.post(reverse("case-action", args=[case.pk, "accept"]))
        assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).status == CaseStatus.COLLECTED


def test_pages_are_for_their_roles(cast, as_user, client):
    assert as_user(cast.reporter).get(reverse("queue")).status_code == 403
    assert as_user(cast.staff).get(reverse("department")).status_code == 403
    assert as_user(cast.staff).get(reverse("queue") + "?tab=nope").status_code == 404
    client.logout()
    response = client.get(reverse("queue"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_home_sends_each_role_to_its_page(cast, as_user):
    assert as_user(cast.staff).get("/")["Location"] == reverse("queue")
    assert as_user(cast.handler).get("/")["Location"] == reverse("department")


# --- actions: the same answers as the API ------------------------------------------------


def test_refusals_answer_with_status_and_reason(cast, as_user):
    case = new_case(cast)
    client = as_user(cast.staff)
    url = reverse("case-action", args=[case.pk, "reject"])
    response = client.post(url, {"reason": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert b'data-testid="errors"' in response.content
    response = client.post(
        reverse("case-action", args=[case.pk, "dispatch"]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert b'data-testid="refusal"' in response.content
    response = as_user(cast.handler).post(
        reverse("case-action", args=[case.pk, "start"]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 404  # not dispatched to the handler's department: unseen
    assert client.post(reverse("case-action", args=[case.pk, "fly"])).status_code == 404


def test_accept_and_dispatch_is_one_step(cast, as_user):
    case = new_case(cast)
    client = as_user(cast.staff)
    url = reverse("case-action", args=[case.pk, "accept_dispatch"])
    # No department: neither happens (the accept is rolled back with the refused dispatch).
    response = client.post(url, {"from": "queue"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).status == CaseStatus.COLLECTED
    department = cast.territory.department
    response = client.post(
        url, {"from": "queue", "department": department.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b"data-queue-done" in response.content
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.department_id) == (CaseStatus.DISPATCHED, department.pk)
    assert list(case.events.values_list("action", flat=True)) == ["create", "accept", "dispatch"]


def test_action_without_htmx_redirects_to_the_case(cast, as_user):
    case = new_case(cast)
    response = as_user(cast.staff).post(reverse("case-action", args=[case.pk, "accept"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("case-page", args=[case.pk])


# --- the report form ------------------------------------------------------------------


def test_report_form_files_a_case_in_the_workers_cell(cast, as_user):
    client = as_user(cast.reporter)
    response = client.post(
        reverse("report"),
        {
            "description": "人行道井盖松动，有行人绊倒的危险。",
            "category": "C0101",
            "lon": POINT_A[0],
            "lat": POINT_A[1],
            "photos": [photo()],
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == reverse("case-page", args=[case.pk])
    assert case.title == "人行道井盖松动"
    assert case.cell == cast.territory.cell_a and case.attachments.count() == 1


@pytest.mark.parametrize(
    "point, message",
    [(None, b"No location yet"), (POINT_NOWHERE, b"lon"), (POINT_X, b"lon")],
)
def test_report_form_refuses_a_missing_or_foreign_point(cast, as_user, point, message):
    data = {"description": "路灯不亮", "category": "C0101"}
    if point:
        data |= {"lon": point[0], "lat": point[1]}
    response = as_user(cast.reporter).post(reverse("report"), data)
    assert response.status_code == 400
    assert not Case.objects.exists()


# --- visits (走访) ----------------------------------------------------------------------


def test_households_due_a_visit_and_logging_one(cast, as_user, worker_x):
    resident = ResidentFactory(household__cell=cast.territory.cell_a)
    resident.tags.add(Tag.objects.get(code="elderly_alone"))
    household = resident.household
    client = as_user(cast.reporter)
    assert household.address.encode() in client.get(reverse("home")).content
    # Someone else's cell: not theirs to log.
    url = reverse("household-visited", args=[household.pk])
    assert as_user(worker_x).post(url).status_code == 404
    response = as_user(cast.reporter).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert Visit.objects.get().household == household
    assert household.address.encode() not in client.get(reverse("home")).content
    assert Household.objects.count() == 1


def test_a_photo_is_served_in_scope_and_a_lost_file_is_404_not_500(cast, as_user):
    case = create_case(
        by=cast.reporter,
        title="井盖丢失",
        description="人行道上水井盖丢失",
        category_code="C0101",
        lon=POINT_A[0],
        lat=POINT_A[1],
        photos=[photo()],
    )
    (stored,) = case.attachments.all()
    url = reverse("case-photo", args=[case.pk, stored.pk])
    client = as_user(cast.staff)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    stored.file.storage.delete(stored.file.name)
    assert client.get(url).status_code == 404


def test_a_case_page_and_its_timeline_read_the_users_assignments_once(cast, as_user):
    """The gate reads the user's assignments; the case's scope, the allowed actions and the
    API's timeline reuse those rows instead of reading them again."""
    case = case_in(cast, CaseStatus.FEEDBACK)
    for user in (cast.staff, cast.reporter, cast.handler):
        client = as_user(user)
        for url in (reverse("case-page", args=[case.pk]), f"/api/v1/cases/{case.pk}/events/"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            reads = [
                q["sql"] for q in ctx.captured_queries if 'FROM "grids_assignment"' in q["sql"]
            ]
            assert len(reads) == 1, (user, url, reads)
