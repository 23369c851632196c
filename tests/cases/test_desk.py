"""The desk at full load (issue 14) over the test client: the queue's search and filters,
its suggested departments and bulk actions with per-item results, refusing an extension
from the approvals tab, the department page's tabs and paging, and a merge followed by its
reporter. Query counts stay flat as the lists grow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseStatus, Category, RoutingRule
from workflows import notifications
from workflows.models import Notification

from ..factories import DepartmentFactory
from .personas import act, case_in, new_case
from .test_pages import queries

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rules(cast):
    """Two departments a manhole report in community 1 is routed to: the community's rule
    (narrowest, suggested first) and the district's."""
    category = Category.objects.get(code="C0101")
    t = cast.territory
    community_department = DepartmentFactory(
        district=t.district, community=t.community1, name="一社区物业", kind="property_management"
    )
    places = ((community_department, t.street1, t.community1), (cast.department, None, None))
    for department, street, community in places:
        RoutingRule.objects.create(
            category=category,
            department=department,
            district=t.district,
            street=street,
            community=community,
        )
    return community_department


def bulk(client, action: str, cases, **fields):
    data = {"action": action, "case": [c.pk for c in cases], **fields}
    return client.post(reverse("queue-bulk"), data, **HTMX)


# --- the queue: suggestions, search, filters --------------------------------------------------


def test_the_queue_numbers_the_suggested_departments_narrowest_first(cast, as_user, rules):
    new_case(cast)
    page = as_user(cast.staff).get(reverse("queue")).content.decode()
    first, second = page.index('data-dept-key="1"'), page.index('data-dept-key="2"')
    assert first < page.index(rules.name) < second < page.index(cast.department.name, second)


def test_search_and_filters_narrow_the_queue(cast, as_user):
    mine = new_case(cast)
    resident = new_case(cast, resident=True)
    old = new_case(cast, category_code="E0501")
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=9))
    client = as_user(cast.staff)

    def shown(**params) -> set[str]:
        page = client.get(reverse("queue"), params).content.decode()
        return {c.number for c in (mine, resident, old) if f'id="case-{c.pk}"' in page}

    assert shown() == {mine.number, resident.number, old.number}
    assert shown(q=resident.number) == {resident.number}
    assert shown(source="resident") == {resident.number}
    assert shown(category="E05") == {old.number}
    assert shown(age="week") == {old.number}
    assert shown(age="day") == {mine.number, resident.number}
    assert shown(community=cast.territory.community1.full_code) == {
        mine.number,
        resident.number,
        old.number,
    }


def test_a_bad_filter_is_a_400_naming_the_field(cast, as_user):
    new_case(cast)
    client = as_user(cast.staff)
    response = client.get(reverse("queue"), {"age": "forever"})
    assert response.status_code == 400
    assert b'data-testid="filter-error"' in response.content
    # A community outside the staff member's street is not a choice either.
    response = client.get(reverse("queue"), {"community": cast.territory.community2.full_code})
    assert response.status_code == 400


def test_filtered_queue_query_count_does_not_grow(cast, as_user, rules):
    client = as_user(cast.staff)
    url = reverse("queue") + "?source=patrol&q=井盖"
    for _ in range(3):
        new_case(cast)
    small, response = queries(client, url)
    for _ in range(20):
        new_case(cast)
    large, response = queries(client, url)
    assert response.content.count(b'data-testid="queue-item"') == 23
    assert small == large


# --- bulk actions -----------------------------------------------------------------------------


def test_bulk_dispatch_goes_to_each_suggestion_and_reports_each_failure(cast, as_user, rules):
    ready = [new_case(cast) for _ in range(3)]
    taken = new_case(cast)
    act(cast, "accept", taken)  # someone else accepted it meanwhile: a 409 for that one
    unrouted = new_case(cast, category_code="E0501")  # no rule: no suggestion
    response = bulk(as_user(cast.staff), "accept_dispatch", [*ready, taken, unrouted])
    assert response.status_code == 200
    for case in ready:
        case.refresh_from_db()
        assert (case.status, case.department) == (CaseStatus.DISPATCHED, rules)
    content = response.content.decode()
    assert content.count("data-queue-done") == 3 and content.count('hx-swap-oob="true"') == 3
    failed = content[content.index('data-testid="bulk-failed"') :]
    assert taken.number in failed and unrouted.number in failed
    assert "No department is suggested" in failed
    taken.refresh_from_db()
    unrouted.refresh_from_db()
    assert (taken.status, unrouted.status) == (CaseStatus.ACCEPTED, CaseStatus.COLLECTED)


def test_bulk_reject_gives_every_reporter_the_one_reason(cast, as_user):
    cases = [new_case(cast) for _ in range(4)]
    response = bulk(as_user(cast.staff), "reject", cases, reason="不属于受理范围")
    assert response.status_code == 200
    for case in cases:
        event = case.events.order_by("-seq").first()
        assert (event.action, event.note) == ("reject", "不属于受理范围")


def test_bulk_input_errors_are_400_and_outsiders_cases_fail_alone(cast, as_user, staff2):
    case = new_case(cast)
    client = as_user(cast.staff)
    assert bulk(client, "reject", [case]).status_code == 400  # no reason
    assert bulk(client, "reject", [], reason="重复").status_code == 400  # nothing selected
    assert bulk(client, "explode", [case]).status_code == 400
    response = client.post(reverse("queue-bulk"), {"action": "reject", "case": "x1"}, **HTMX)
    assert response.status_code == 400
    # Another street's staff: a per-item "not yours", nothing done.
    response = bulk(as_user(staff2), "reject", [case], reason="重复")
    assert response.status_code == 200 and b"Not a case of yours." in response.content
    case.refresh_from_db()
    assert case.status == CaseStatus.COLLECTED
    assert bulk(as_user(cast.handler), "reject", [case], reason="重复").status_code == 403


# --- approvals ----------------------------------------------------------------------------------


def test_approvals_show_the_reason_and_refuse_with_one(cast, as_user):
    case = act(cast, "request_extension", case_in(cast, CaseStatus.HANDLING))
    client = as_user(cast.staff)
    page = client.get(reverse("queue") + "?tab=approvals").content.decode()
    assert "需采购井盖" in page and 'data-testid="do-refuse_extension"' in page
    url = reverse("case-action", args=[case.pk, "refuse_extension"])
    response = client.post(url, {"from": "queue", "tab": "approvals"}, **HTMX)
    assert response.status_code == 400  # a reason is required
    response = client.post(url, {"from": "queue", "reason": "按期完成"}, **HTMX)
    assert response.status_code == 200 and b"data-queue-done" in response.content
    response = client.post(url, {"from": "queue", "reason": "按期完成"}, **HTMX)
    assert response.status_code == 409  # nothing waits any more, and it says so
    assert "No extension request is waiting" in response.content.decode()
    case.refresh_from_db()
    notifications.notify_next_actor(case.pk, "refuse_extension", case.version)
    assert "按期完成" in Notification.objects.get(user=cast.handler).message


def test_approvals_query_count_does_not_grow(cast, as_user):
    client = as_user(cast.staff)
    act(cast, "request_extension", case_in(cast, CaseStatus.HANDLING))
    small, _ = queries(client, reverse("queue") + "?tab=approvals")
    for _ in range(4):
        act(cast, "request_extension", case_in(cast, CaseStatus.HANDLING))
    large, response = queries(client, reverse("queue") + "?tab=approvals")
    assert response.content.count(b'data-testid="extension-reason"') == 5
    assert small == large


# --- merge ------------------------------------------------------------------------------------


def test_a_merged_report_names_and_links_the_case_it_joined(cast, as_user, worker_x):
    target = new_case(cast)
    merged = act(cast, "merge", new_case(cast), duplicate_of_id=target.pk)
    notifications.notify_next_actor(merged.pk, "merge", merged.version)
    notice = Notification.objects.get(user=cast.reporter)
    assert target.number in notice.message and "not accepted" not in notice.message
    client = as_user(cast.reporter)
    page = client.get(reverse("case-page", args=[merged.pk])).content.decode()
    assert 'data-testid="joined-case"' in page
    assert reverse("case-page", args=[target.pk]) in page


def test_the_reporter_follows_the_joined_case_outside_their_cells(cast, as_user, worker_x):
    """A worker of cell X reported; it joined a case in cell A, outside their cells: they
    may open that one, and no other case of cell A."""
    target = new_case(cast)
    other = new_case(cast)
    report = new_case(cast)
    Case.objects.filter(pk=report.pk).update(reporter=worker_x)
    act(cast, "merge", report, duplicate_of_id=target.pk)
    client = as_user(worker_x)
    assert client.get(reverse("case-page", args=[target.pk])).status_code == 200
    assert client.get(reverse("case-page", args=[other.pk])).status_code == 404


# --- the department page ----------------------------------------------------------------------


def test_department_tabs_hold_one_state_each_by_time_left(cast, as_user):
    dispatched = [case_in(cast, CaseStatus.DISPATCHED) for _ in range(2)]
    Case.objects.filter(pk=dispatched[0].pk).update(due_at=timezone.now() + timedelta(days=3))
    handling = case_in(cast, CaseStatus.HANDLING)
    feedback = case_in(cast, CaseStatus.FEEDBACK)
    suspended = case_in(cast, CaseStatus.SUSPENDED)
    client = as_user(cast.handler)

    def rows(tab: str) -> list[int]:
        page = client.get(reverse("department"), {"tab": tab}).content.decode()
        return [c.pk for c in Case.objects.all() if f'id="case-{c.pk}"' in page]

    start = client.get(reverse("department")).content.decode()
    assert start.index(f'id="case-{dispatched[1].pk}"') < start.index(
        f'id="case-{dispatched[0].pk}"'
    )  # the sooner deadline first
    assert set(rows("start")) == {c.pk for c in dispatched}
    assert rows("progress") == [handling.pk]
    assert rows("verification") == [feedback.pk]
    assert rows("suspended") == [suspended.pk]
    assert 'data-testid="tab-verification"' in start
    assert client.get(reverse("department"), {"tab": "nope"}).status_code == 404


def test_no_deadline_comes_last(cast, as_user):
    cases = [case_in(cast, CaseStatus.HANDLING) for _ in range(2)]
    Case.objects.filter(pk=cases[0].pk).update(due_at=None)
    page = as_user(cast.handler).get(reverse("department"), {"tab": "progress"}).content.decode()
    assert page.index(f'id="case-{cases[1].pk}"') < page.index(f'id="case-{cases[0].pk}"')


def test_department_search_and_paging_in_place(cast, as_user):
    cases = [case_in(cast, CaseStatus.DISPATCHED) for _ in range(52)]
    client = as_user(cast.handler)
    _count, response = queries(client, reverse("department"))
    assert response.content.count(b'data-testid="department-case"') == 50
    assert b'data-testid="department-more"' in response.content
    more = client.get(reverse("department"), {"tab": "start", "page": 2}, **HTMX)
    assert more.content.count(b'data-testid="department-case"') == 2
    assert b"<h1>" not in more.content and b"department-more" not in more.content
    found = client.get(reverse("department"), {"q": cases[7].number}).content
    assert found.count(b'data-testid="department-case"') == 1
    assert client.get(reverse("department"), {"page": 9}).status_code == 404
    assert client.get(reverse("department"), {"q": "x" * 101}).status_code == 400


def test_department_query_count_does_not_grow_per_tab(cast, as_user):
    client = as_user(cast.handler)
    for status in (CaseStatus.HANDLING, CaseStatus.FEEDBACK):
        case_in(cast, status)
    small = [queries(client, reverse("department") + f"?tab={t}")[0] for t in ("progress",)]
    for _ in range(6):
        case_in(cast, CaseStatus.HANDLING)
    large = [queries(client, reverse("department") + f"?tab={t}")[0] for t in ("progress",)]
    assert small == large
