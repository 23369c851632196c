"""The pages of the honest clocks: the district admin's binding queue (指定承办), the case page's
clock facts (returns, binding, review date, suspended time) and the suspend form."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseStatus

from .personas import act, case_in, returned_twice

pytestmark = pytest.mark.django_db

BINDING = reverse("queue") + "?tab=binding"


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def admin_cast(cast, district_admin):
    cast.admin = district_admin
    return cast


def _awaiting(cast, n: int) -> list[Case]:
    return [returned_twice(cast, case_in(cast, CaseStatus.ACCEPTED)) for _i in range(n)]


def _get(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx), response.content.decode()


def test_the_binding_queue_lists_cases_returned_twice_in_constant_queries(admin_cast, as_user):
    cast = admin_cast
    client = as_user(cast.admin)
    _awaiting(cast, 2)
    case_in(cast, CaseStatus.ACCEPTED)  # returned never: the street's, not the district's
    act(cast, "return", case_in(cast, CaseStatus.DISPATCHED))  # returned once: the street's too
    small, page = _get(client, BINDING)
    assert page.count('data-testid="queue-item"') == 2
    assert page.count('data-testid="assign-binding"') == 2
    _awaiting(cast, 4)
    large, page = _get(client, BINDING)
    assert page.count('data-testid="queue-item"') == 6
    assert small == large


def test_the_district_admin_assigns_from_the_queue(admin_cast, as_user):
    cast = admin_cast
    (case,) = _awaiting(cast, 1)
    client = as_user(cast.admin)
    url = reverse("case-action", args=[case.pk, "assign_binding"])
    response = client.post(url, {"from": "queue", "tab": "binding"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400  # no department chosen: said in place
    assert b'data-testid="errors"' in response.content
    assert b'data-testid="assign-binding"' in response.content
    response = client.post(
        url, {"from": "queue", "department": cast.department.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b"data-queue-done" in response.content
    case.refresh_from_db()
    assert (case.status, case.binding, case.department) == ("dispatched", True, cast.department)


def test_street_staff_see_the_binding_tab_but_cannot_dispatch_from_it(admin_cast, as_user):
    cast = admin_cast
    (case,) = _awaiting(cast, 1)
    client = as_user(cast.staff)
    page = client.get(BINDING).content.decode()
    assert case.number in page and 'data-testid="assign-binding"' not in page
    response = client.post(
        reverse("case-action", args=[case.pk, "dispatch"]),
        {"department": cast.department.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert "returned twice" in response.content.decode()


def test_the_queue_is_for_staff_and_district_admins_only(admin_cast, as_user):
    cast = admin_cast
    assert as_user(cast.handler).get(BINDING).status_code == 403
    assert as_user(cast.reporter).get(BINDING).status_code == 403
    admin = as_user(cast.admin)
    assert admin.get(reverse("queue") + "?tab=new").status_code == 404  # the street's work
    assert 'href="/queue/?tab=binding"' in admin.get(reverse("case-list")).content.decode()


def test_the_case_page_shows_the_clocks(admin_cast, as_user):
    cast = admin_cast
    client = as_user(cast.staff)
    case = act(cast, "assign_binding", _awaiting(cast, 1)[0])
    page = client.get(reverse("case-page", args=[case.pk])).content.decode()
    assert 'data-testid="return-count"' in page and 'data-testid="binding"' in page

    case = act(cast, "suspend", act(cast, "start", case))
    Case.objects.filter(pk=case.pk).update(suspended_seconds=3 * 86400)
    page = client.get(reverse("case-page", args=[case.pk])).content.decode()
    assert 'data-testid="review-at"' in page
    assert timezone.localtime(case.review_at).strftime("%Y-%m-%d %H:%M") in page
    assert 'data-testid="suspended-time">3 d 0 h' in page
    # The suspend form asks for the review date.
    case = act(cast, "resume", case)
    page = client.get(reverse("case-page", args=[case.pk])).content.decode()
    assert 'name="review_at"' in page


def test_the_case_page_costs_the_same_with_and_without_clock_facts(admin_cast, as_user):
    cast = admin_cast
    client = as_user(cast.staff)
    plain = case_in(cast, CaseStatus.SUSPENDED)
    bound = act(cast, "assign_binding", _awaiting(cast, 1)[0])
    bound = act(cast, "suspend", act(cast, "start", bound))
    first, _page = _get(client, reverse("case-page", args=[plain.pk]))
    second, _page = _get(client, reverse("case-page", args=[bound.pk]))
    assert first == second  # the facts come from the case row alone
