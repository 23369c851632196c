"""A case returned twice goes to the district admin for a binding assignment (指定承办) instead
of bouncing again: only a district admin dispatches it, and the department cannot return it."""

from __future__ import annotations

import pytest
from django.http import Http404

from cases.models import CaseStatus
from workflows import notifications
from workflows.errors import ActionForbidden, TransitionNotAllowed
from workflows.models import Notification, NotificationKind
from workflows.transitions import allowed_actions

from ..cases.personas import act, case_in, returned_twice

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_cast(cast, district_admin):
    cast.admin = district_admin
    return cast


def test_one_return_goes_back_to_the_street(admin_cast):
    cast = admin_cast
    case = act(cast, "return", case_in(cast, CaseStatus.DISPATCHED))
    assert (case.return_count, case.awaiting_binding) == (1, False)
    assert allowed_actions(case, cast.staff) == ["dispatch"]
    assert allowed_actions(case, cast.admin) == []


def test_the_second_return_waits_for_the_district_admin(admin_cast):
    cast = admin_cast
    case = returned_twice(cast, case_in(cast, CaseStatus.ACCEPTED))
    assert (case.status, case.return_count, case.awaiting_binding) == ("accepted", 2, True)
    assert case.events.order_by("-seq").first().payload["to_binding"] is True
    assert allowed_actions(case, cast.staff) == []
    assert allowed_actions(case, cast.admin) == ["assign_binding"]

    with pytest.raises(TransitionNotAllowed) as exc:
        act(cast, "dispatch", case)
    assert exc.value.http_status == 409
    assert "returned twice" in str(exc.value) and "district" in str(exc.value)
    with pytest.raises(ActionForbidden):  # a role that never assigns
        act(cast, "assign_binding", case, by=cast.staff)

    case = act(cast, "assign_binding", case)
    assert (case.status, case.department, case.binding) == ("dispatched", cast.department, True)
    event = case.events.order_by("-seq").first()
    assert (event.action, event.actor) == ("assign_binding", cast.admin)


def test_a_bound_department_cannot_return_the_case(admin_cast):
    cast = admin_cast
    case = act(cast, "assign_binding", returned_twice(cast, case_in(cast, CaseStatus.ACCEPTED)))
    assert allowed_actions(case, cast.handler) == ["start", "request_transfer"]
    with pytest.raises(TransitionNotAllowed) as exc:
        act(cast, "return", case)
    assert "binding" in str(exc.value)
    # Still bound after a round of rework.
    for action in ("start", "report", "verify_fail"):
        case = act(cast, action, case)
    assert case.status == "dispatched" and "return" not in allowed_actions(case, cast.handler)


def test_assign_binding_only_from_the_district_queue(admin_cast):
    cast = admin_cast
    case = case_in(cast, CaseStatus.ACCEPTED)  # never returned: the street dispatches it
    with pytest.raises(TransitionNotAllowed):
        act(cast, "assign_binding", case)
    with pytest.raises(Http404):  # a handler never sees an undispatched case
        act(cast, "assign_binding", case, by=cast.handler)


def test_district_admins_are_told_and_the_clock_reminds_them(admin_cast):
    cast = admin_cast
    case = returned_twice(cast, case_in(cast, CaseStatus.ACCEPTED))
    assert notifications.notify_next_actor(case.pk, "return", case.version) == 1
    notice = Notification.objects.get(case=case, kind=NotificationKind.ACTION_NEEDED)
    assert notice.user == cast.admin
    assert "binding assignment" in notice.message
    recipients = notifications.Recipients([case])
    assert recipients.actors(case) == {cast.admin.pk}  # the SLA scanner's reminders too

    case = act(cast, "assign_binding", case)
    assert notifications.notify_next_actor(case.pk, "assign_binding", case.version) == 1
    notice = Notification.objects.get(case=case, user=cast.handler)
    assert "cannot be returned" in notice.message
