"""The inbox clears itself: a notice about something to do is done when anyone does it, a user
has one open notice per case, "mark all read", notices grouped by case, links that are links,
and opening the case reads its notices."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Role
from workflows import notifications
from workflows.models import Notification, NotificationKind

from ..cases.personas import act, new_case
from ..factories import assigned_user

pytestmark = pytest.mark.django_db
K = NotificationKind


@pytest.fixture
def clerk2(territory):
    """A second clerk of street 1: both are told of a new case, one accepts it."""
    return assigned_user(Role.STREET_STAFF, "street", territory.street1, "clerk2")


def badge(user) -> int:
    return notifications.unread_count(user)


def test_a_step_by_anyone_settles_everyones_notice(cast, clerk2):
    case = new_case(cast)
    notifications.notify_next_actor(case.pk, "create", case.version)
    assert badge(cast.staff) == badge(clerk2) == 1
    case = act(cast, "accept", case, by=cast.staff)
    # clerk2 never opened it: the clerk who accepted it did the work for both.
    assert badge(clerk2) == 0
    assert Notification.objects.get(user=clerk2).done_at is not None
    # The next step's notice is new, and open.
    notifications.notify_next_actor(case.pk, "accept", case.version)
    assert badge(clerk2) == 1


def test_the_survey_request_is_not_settled_by_a_step(cast):
    case = new_case(cast)
    notifications.notify(
        users=[cast.staff], case=case, kind=K.SATISFACTION, message="回访", key="survey"
    )
    act(cast, "accept", case)
    assert Notification.objects.get().done_at is None


def test_one_open_notice_per_case_and_user(cast):
    """A reminder, then the overdue notice, then a red card about the same step: the badge
    counts the case once; the older notices are kept, marked done."""
    case = new_case(cast)
    for kind in (K.ACTION_NEEDED, K.REMINDER, K.OVERDUE):
        notifications.notify(users=[cast.staff], case=case, kind=kind, message=kind, key=kind)
    assert badge(cast.staff) == 1
    assert Notification.objects.filter(done_at__isnull=True).get().kind == K.OVERDUE
    other = new_case(cast)
    notifications.notify(users=[cast.staff], case=other, kind=K.REMINDER, message="m", key="o")
    assert badge(cast.staff) == 2


def test_mark_all_read(as_user, cast):
    for n in range(3):
        notifications.notify(
            users=[cast.staff], case=None, kind=K.REMINDER, message=f"m{n}", key=f"k{n}"
        )
    notifications.notify(users=[cast.handler], case=None, kind=K.REMINDER, message="h", key="h")
    client = as_user(cast.staff)
    assert 'data-testid="read-all"' in client.get("/inbox/").content.decode()
    assert client.post("/inbox/read-all/").status_code == 302
    assert badge(cast.staff) == 0
    assert badge(cast.handler) == 1  # only one's own
    assert 'data-testid="read-all"' not in client.get("/inbox/").content.decode()


def test_the_inbox_groups_by_case_and_links_to_it(as_user, cast):
    first, second = new_case(cast), new_case(cast)
    for kind in (K.ACTION_NEEDED, K.REMINDER):
        notifications.notify(users=[cast.staff], case=first, kind=kind, message=kind, key=kind)
    notifications.notify(users=[cast.staff], case=second, kind=K.DUPLICATE, message="d", key="d")
    page = as_user(cast.staff).get("/inbox/").content.decode()
    assert page.count('data-testid="thread"') == 2
    assert page.count('data-testid="notification"') == 3
    assert f'href="/cases/{first.pk}/"' in page  # a link, not a form button
    assert page.index(second.number) < page.index(first.number)  # newest first


def test_the_inbox_is_one_query_whatever_its_size(as_user, cast, django_assert_num_queries):
    client = as_user(cast.staff)

    def fill(n: int) -> None:
        for _ in range(n):
            case = new_case(cast)
            notifications.notify(
                users=[cast.staff], case=case, kind=K.REMINDER, message="m", key=f"q{case.pk}"
            )

    fill(2)
    client.get("/inbox/")  # the session and the user loaded once
    with CaptureQueriesContext(connection) as small:
        client.get("/inbox/")
    fill(10)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get("/inbox/").content.decode().count('data-testid="thread"') == 12


def test_opening_the_case_reads_its_notices(as_user, cast):
    case, other = new_case(cast), new_case(cast)
    for c in (case, other):
        notifications.notify(
            users=[cast.staff], case=c, kind=K.ACTION_NEEDED, message="m", key=f"a{c.pk}"
        )
    assert as_user(cast.staff).get(f"/cases/{case.pk}/").status_code == 200
    assert badge(cast.staff) == 1
    assert Notification.objects.get(case=other).read_at is None


def test_mark_all_read_over_the_api(cast):
    from rest_framework.test import APIClient

    for n in range(2):
        notifications.notify(
            users=[cast.staff], case=None, kind=K.REMINDER, message=f"m{n}", key=f"k{n}"
        )
    api = APIClient()
    api.force_authenticate(cast.staff)
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert badge(cast.staff) == 0
    listed = api.get("/api/v1/notifications/").json()["results"]
    assert all(n["read_at"] and "done_at" in n for n in listed)
