"""A co-department's part (协办) has its own deadline: the SLA scanner reminds, marks late and
escalates it like a case's step (issue 16), in the scan's digests, and the case page and the
co-department's queue show it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import CasePart, CaseStatus, EscalationLevel
from workflows.calendar import LimitUnit, TimeLimit, add_working_time
from workflows.models import Notification, NotificationKind, SlaNotice
from workflows.sla import scan_deadlines

from ..cases.personas import act, case_in, with_co_department

pytestmark = pytest.mark.django_db

K = NotificationKind
SECOND = timedelta(seconds=1)


@pytest.fixture
def joint(cast, other_handler, district_admin):
    cast.admin = district_admin
    return with_co_department(cast, other_handler)


def _part(joint, *, hours: int = 2) -> CasePart:
    """An open part due in ``hours`` working hours (well before the lead's own deadline):
    in working time, so its reminder point lies between now and then whatever the hour the
    test runs (two clock hours from 17:30 hold no working time at all)."""
    case = case_in(joint, CaseStatus.HANDLING)
    part_due = add_working_time(
        case.step_started_at, TimeLimit(Decimal(hours), LimitUnit.WORKING_HOURS)
    )
    act(joint, "add_codepartment", case, due_at=part_due)
    return CasePart.objects.select_related("case").get(case=case)


def _told(kind: str) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))


def test_a_late_part_is_reminded_marked_late_then_red_and_each_told_once(joint):
    part = _part(joint)
    assert part.case.due_at > part.due_at
    assert part.added_at < part.remind_at < part.due_at

    assert scan_deadlines(now=part.remind_at + SECOND).reminded == 1
    assert _told(K.REMINDER) == {joint.co_handler.pk}  # the lead's handler is not reminded

    result = scan_deadlines(now=part.due_at + SECOND)
    assert result.overdue == 1
    part.refresh_from_db()
    assert (part.overdue, part.escalation_level) == (True, EscalationLevel.YELLOW)
    assert _told(K.OVERDUE) == {joint.co_handler.pk, joint.staff.pk}
    notice = SlaNotice.objects.get(kind=K.OVERDUE)
    assert (notice.case_id, notice.department_id, notice.told) == (
        part.case_id,
        joint.co_department.pk,
        2,
    )
    # The lead's own step is not late: the case keeps no mark of the part's lateness.
    part.case.refresh_from_db()
    assert (part.case.overdue, part.case.escalation_level) == (False, EscalationLevel.NONE)

    assert scan_deadlines(now=part.due_at + SECOND).as_dict() == {
        "reminded": 0,
        "overdue": 0,
        "escalated": 0,
        "batches": 0,
        "notifications": 0,
    }
    assert part.red_at > part.due_at
    assert scan_deadlines(now=part.red_at + SECOND).escalated == 1
    part.refresh_from_db()
    assert part.escalation_level == EscalationLevel.RED
    assert _told(K.ESCALATION) == {joint.co_handler.pk, joint.staff.pk, joint.admin.pk}
    assert scan_deadlines(now=part.red_at + SECOND).escalated == 0


def test_a_reported_or_released_part_is_not_scanned(joint):
    part = _part(joint)
    act(joint, "report_part", part.case)
    assert scan_deadlines(now=part.due_at + SECOND).as_dict()["overdue"] == 0
    assert not SlaNotice.objects.exists()


def test_the_case_page_and_the_co_departments_queue_show_a_late_part(joint, as_user):
    part = _part(joint)
    scan_deadlines(now=part.due_at + SECOND)
    page = as_user(joint.staff).get(reverse("case-page", args=[part.case_id]))
    body = page.content.decode()
    assert 'data-testid="part" data-status="open" data-escalation="1"' in body
    assert 'data-action="sla-part-overdue"' in body  # the timeline keeps the part's occasion
    queue = as_user(joint.co_handler).get(reverse("department") + "?tab=progress")
    assert 'data-testid="part-late"' in queue.content.decode()
    # The lead's queue shows its own clock, not the co-department's lateness.
    lead_queue = as_user(joint.handler).get(reverse("department") + "?tab=progress")
    assert 'data-testid="part-late"' not in lead_queue.content.decode()


def _scan_queries(joint, count: int) -> int:
    parts = [_part(joint) for _i in range(count)]
    now = max(p.due_at for p in parts) + SECOND
    with CaptureQueriesContext(connection) as queries:
        result = scan_deadlines(now=now)
    assert result.overdue == count
    return len(queries)


def test_the_part_scan_costs_the_same_queries_for_few_and_many_parts(joint):
    small = _scan_queries(joint, 2)
    CasePart.objects.update(status="reported")
    large = _scan_queries(joint, 6)
    assert small == large


def test_a_late_parts_notice_links_each_recipient_to_where_they_see_the_part(joint, as_user):
    part = _part(joint)
    scan_deadlines(now=part.due_at + SECOND)
    part.refresh_from_db()
    scan_deadlines(now=part.red_at + SECOND)
    for user in (joint.co_handler, joint.staff, joint.admin):
        notice = Notification.objects.get(user=user, kind=K.ESCALATION)
        page = as_user(user).get(notice.link)
        assert page.status_code == 200, notice.link
        assert 'data-testid="part" data-status="open" data-escalation="2"' in page.content.decode()
