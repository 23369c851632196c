"""The SLA scanner: 催办 at 80 %, overdue and yellow at the deadline, red at twice the limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseEvent
from workflows import tasks
from workflows.calendar import TimeLimit, add_working_time
from workflows.models import Notification, NotificationKind, SlaNotice
from workflows.sla import scan_deadlines

from ..cases.personas import act, case_in, new_case
from .locking import case_locked_elsewhere, needs_row_locks

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
K = NotificationKind


def received(kind: str, case: Case | None = None) -> set[int]:
    """Ids of the users who got a digest of ``kind``; with ``case``, the case's own record of
    the occasion must say it told that many people."""
    users = set(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))
    if case is not None:
        assert SlaNotice.objects.get(case=case, kind=kind).told == len(users)
    return users


def handle_limit(case: Case) -> TimeLimit:
    return TimeLimit(case.category.handle_limit, case.category.limit_unit)


def test_reminder_at_80_percent_of_the_limit_and_not_before(cast):
    case = new_case(cast)
    events = case.events.count()

    result = scan_deadlines(now=case.remind_at - SECOND)
    assert (result.reminded, Notification.objects.count()) == (0, 0)

    result = scan_deadlines(now=case.remind_at)
    assert result.reminded == 1
    assert received(K.REMINDER, case) == {cast.staff.pk}  # collected: street staff accept it
    note = Notification.objects.get()
    assert note.case is None and note.dedupe_key.startswith("sla:reminder:")
    assert SlaNotice.objects.get().version == case.version
    before_version, before_status = case.version, case.status
    case.refresh_from_db()
    assert case.reminded_for == case.remind_at
    assert not case.overdue and case.escalation_level == 0
    # Not a transition: status, version and the timeline are untouched.
    assert (case.status, case.version) == (before_status, before_version)
    assert case.events.count() == events


def test_scanner_run_twice_sends_each_notice_once(cast, district_admin):
    case = case_in(cast, "dispatched")
    red_at = add_working_time(case.step_started_at, handle_limit(case).scaled(2))
    for now in (case.remind_at, case.due_at, red_at):
        first = scan_deadlines(now=now)
        second = scan_deadlines(now=now)
        assert first.notifications > 0
        assert (second.reminded, second.overdue, second.escalated, second.notifications) == (
            0,
            0,
            0,
            0,
        )
    counts = {
        kind: Notification.objects.filter(kind=kind).count()
        for kind in (K.REMINDER, K.OVERDUE, K.ESCALATION)
    }
    # reminder → the handler; overdue → handler + staff; red → handler + staff + admin.
    assert counts == {K.REMINDER: 1, K.OVERDUE: 2, K.ESCALATION: 3}
    assert SlaNotice.objects.filter(case=case).count() == 3


def test_overdue_marks_the_case_yellow_and_tells_actor_and_street_staff(cast):
    case = case_in(cast, "dispatched")
    scan_deadlines(now=case.due_at - SECOND)
    case.refresh_from_db()
    assert not case.overdue

    result = scan_deadlines(now=case.due_at)
    assert result.overdue == 1
    case.refresh_from_db()
    assert case.overdue and case.escalation_level == 1
    assert case.status == "dispatched"
    assert received(K.OVERDUE, case) == {cast.handler.pk, cast.staff.pk}


def test_a_case_found_past_its_deadline_gets_the_overdue_notice_not_a_reminder(cast):
    case = new_case(cast)
    result = scan_deadlines(now=case.due_at + SECOND)
    assert (result.reminded, result.overdue) == (0, 1)
    assert received(K.REMINDER) == set()
    case.refresh_from_db()
    assert case.reminded_for == case.remind_at  # and no reminder later for this step
    assert scan_deadlines(now=case.due_at + 2 * SECOND).notifications == 0


def test_red_when_the_step_has_taken_twice_its_limit_on_the_working_calendar(cast, district_admin):
    case = case_in(cast, "dispatched")
    red_at = add_working_time(case.step_started_at, handle_limit(case).scaled(2))
    assert red_at > case.due_at
    scan_deadlines(now=red_at - SECOND)
    case.refresh_from_db()
    assert (case.escalation_level, case.red_at) == (1, red_at)

    result = scan_deadlines(now=red_at)
    assert result.escalated == 1
    case.refresh_from_db()
    assert case.escalation_level == 2 and case.overdue
    assert received(K.ESCALATION, case) == {cast.handler.pk, cast.staff.pk, district_admin.pk}
    assert SlaNotice.objects.get(kind=K.ESCALATION).version == case.version


def test_urgent_cases_turn_red_on_calendar_time(cast, district_admin):
    case = new_case(cast, category_code="E0501")  # 路面塌陷: urgent by default
    assert case.priority == "urgent"
    span = case.due_at - case.step_started_at
    assert span == timedelta(hours=float(case.category.urgent_limit_hours))
    scan_deadlines(now=case.step_started_at + 2 * span - SECOND)
    case.refresh_from_db()
    assert case.escalation_level == 1
    scan_deadlines(now=case.step_started_at + 2 * span)
    case.refresh_from_db()
    assert case.escalation_level == 2


def test_a_case_past_both_points_at_once_is_marked_yellow_then_red_in_one_scan(
    cast, district_admin
):
    case = case_in(cast, "feedback")
    result = scan_deadlines(now=case.due_at + timedelta(days=60))
    assert (result.overdue, result.escalated) == (1, 1)
    case.refresh_from_db()
    assert case.escalation_level == 2
    # feedback: the verifier must act.
    assert received(K.OVERDUE, case) == {case.verifier_id, cast.staff.pk}


# A suspension runs to its review date and is scanned like a step: tests/workflows/test_clocks.py
@pytest.mark.parametrize("status", ["closed", "rejected"])
def test_closed_and_rejected_cases_are_left_alone(cast, status):
    case = case_in(cast, status)
    past = timezone.now() - timedelta(days=30)
    # Give them stale deadlines to prove the status alone keeps the scanner away.
    Case.objects.filter(pk=case.pk).update(due_at=past, remind_at=past, step_started_at=past)
    result = scan_deadlines(now=timezone.now() + timedelta(days=30))
    assert (result.batches, result.notifications) == (0, 0)
    case.refresh_from_db()
    assert (case.overdue, case.escalation_level, case.reminded_for) == (False, 0, None)


def test_a_new_step_gets_its_own_reminder(cast):
    case = new_case(cast)
    scan_deadlines(now=case.remind_at)
    case = act(cast, "accept", case)
    assert case.reminded_for is None
    assert scan_deadlines(now=case.remind_at - SECOND).reminded == 0
    assert scan_deadlines(now=case.remind_at).reminded == 1
    steps = set(SlaNotice.objects.filter(kind=K.REMINDER).values_list("version", flat=True))
    assert steps == {case.version - 1, case.version}


def test_a_new_step_clears_overdue_and_escalation(cast):
    case = new_case(cast)
    scan_deadlines(now=case.due_at + timedelta(days=30))
    case.refresh_from_db()
    assert case.overdue and case.escalation_level == 2
    case = act(cast, "accept", case)
    case.refresh_from_db()
    assert (case.overdue, case.escalation_level) == (False, 0)
    scan_deadlines(now=case.due_at)
    case.refresh_from_db()
    assert (case.overdue, case.escalation_level) == (True, 1)


def test_an_extension_request_does_not_repeat_the_reminder(cast):
    case = case_in(cast, "handling")
    scan_deadlines(now=case.remind_at)
    case = act(cast, "request_extension", case)
    assert scan_deadlines(now=case.remind_at + SECOND).reminded == 0
    case = act(cast, "approve_extension", case)  # a new deadline: a new reminder
    assert scan_deadlines(now=case.remind_at).reminded == 1
    assert Notification.objects.filter(kind=K.REMINDER).count() == 2


def test_batches_cover_every_due_case(cast):
    cases = [new_case(cast) for _i in range(5)]
    result = scan_deadlines(now=max(c.due_at for c in cases), batch_size=2)
    assert (result.batches, result.overdue) == (3, 5)
    assert Case.objects.filter(overdue=True).count() == 5


def _scan_queries(cast, count: int) -> int:
    cases = [new_case(cast) for _i in range(count)]
    # Every case turns yellow (its red point is computed too); street staff get one digest.
    now = max(c.due_at for c in cases) + SECOND
    with CaptureQueriesContext(connection) as queries:
        result = scan_deadlines(now=now)
    assert (result.overdue, result.notifications) == (count, 1)
    return len(queries)


def test_scanner_query_count_does_not_grow_with_the_number_of_cases(cast):
    small = _scan_queries(cast, 10)
    Case.objects.update(status="closed")  # take the first set out of the next scan
    large = _scan_queries(cast, 50)
    assert small == large <= 13  # 12, and one for the co-departments' parts (none due)


def test_scan_sla_task_returns_the_counts(cast):
    new_case(cast)
    assert tasks.scan_sla.run() == {
        "reminded": 0,
        "overdue": 0,
        "escalated": 0,
        "batches": 0,
        "notifications": 0,
        "summons_late": 0,  # 吹哨: summonses late to check in (workflows.summons)
        "summons_red": 0,
    }
    assert tasks.scan_sla.name == "workflows.scan_sla"
    assert tasks.scan_sla.soft_time_limit and tasks.scan_sla.time_limit


@needs_row_locks
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_locked_case_is_skipped_not_waited_for(cast, monkeypatch):
    monkeypatch.setattr(tasks, "request_intake_follow_up", lambda: None)
    locked, free = new_case(cast), new_case(cast)
    now = free.due_at + SECOND
    with case_locked_elsewhere(locked):
        result = scan_deadlines(now=now)  # would block without SKIP LOCKED
        assert result.overdue == 1
        assert set(Case.objects.filter(overdue=True).values_list("pk", flat=True)) == {free.pk}
    assert scan_deadlines(now=now).overdue == 1
    assert Case.objects.filter(overdue=True).count() == 2
    assert not CaseEvent.objects.filter(action__in=["escalate", "overdue"]).exists()
