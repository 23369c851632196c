"""Honest clocks (DESIGN §5 "clocks are never reset to hide delay"): a return keeps the case's
handling clock and its overdue marks; a suspension (挂账) has a review date, escalated like an
overdue step once past, and resuming gives the handling step the time it had left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import Case, CaseStatus
from workflows import clocks
from workflows.calendar import TimeLimit, WorkingCalendar, add_working_time
from workflows.models import Notification, NotificationKind, SlaNotice
from workflows.services import replay_events, replayed_state
from workflows.sla import scan_deadlines

from ..cases.personas import act, case_in, new_case

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
K = NotificationKind


def backdate_step(case: Case, **by: int) -> Case:
    """As if the case's current step had started earlier by ``by`` (``days=30``, ``hours=1``),
    deadlines included: the tests cannot wait for the calendar, so they move the case's clock
    instead."""
    shift = timedelta(**by)
    Case.objects.filter(pk=case.pk).update(
        step_started_at=case.step_started_at - shift,
        due_at=case.due_at - shift,
        remind_at=case.remind_at - shift,
    )
    case.refresh_from_db()
    return case


def working_left(case: Case, *, at) -> timedelta:
    """Working time from ``at`` to the case's deadline (negative when past it)."""
    calendar = WorkingCalendar.load()
    if case.due_at >= at:
        return calendar.between(at, case.due_at)
    return -calendar.between(case.due_at, at)


# --- return (回退) ---------------------------------------------------------------------------


def test_a_return_keeps_the_handling_deadline_and_the_overdue_marks(cast):
    case = backdate_step(case_in(cast, CaseStatus.DISPATCHED), days=30)
    scan_deadlines()
    case.refresh_from_db()
    assert (case.overdue, case.escalation_level) == (True, 2)
    due, red_at = case.due_at, case.red_at

    case = act(cast, "return", case)
    assert case.status == CaseStatus.ACCEPTED
    # Overdue stays overdue: the department's lateness does not vanish with the case.
    assert (case.overdue, case.escalation_level, case.due_at, case.red_at) == (True, 2, due, red_at)

    case = act(cast, "dispatch", case)
    assert (case.overdue, case.escalation_level, case.due_at) == (True, 2, due)
    scan_deadlines()  # nothing new: the marks were already made
    assert SlaNotice.objects.get(case=case, kind=K.OVERDUE).told == 2  # handler, staff
    assert Notification.objects.filter(kind=K.OVERDUE).count() == 2  # one digest each


def test_a_redispatched_case_gets_the_time_left_not_a_fresh_limit(cast):
    case = backdate_step(case_in(cast, CaseStatus.DISPATCHED), hours=1)
    due = case.due_at
    assert due > timezone.now()  # still on time, with less than the full limit left
    case = act(cast, "dispatch", act(cast, "return", case))
    assert case.due_at == due
    limit = TimeLimit(case.category.handle_limit, case.category.limit_unit)
    assert case.due_at < add_working_time(case.dispatched_at, limit)


def test_the_return_event_records_the_department_and_whether_it_was_overdue(cast):
    on_time = act(cast, "return", case_in(cast, CaseStatus.DISPATCHED))
    late = backdate_step(case_in(cast, CaseStatus.DISPATCHED), days=30)
    due = late.due_at
    late = act(cast, "return", late)  # past due, though the scanner has not marked it yet
    for case, overdue in ((on_time, False), (late, True)):
        payload = case.events.get(action="return").payload
        assert payload["department"] == cast.department.pk
        assert payload["department_name"] == cast.department.name
        assert payload["overdue"] is overdue
        assert payload["return_count"] == 1
        assert payload["to_binding"] is False
    assert late.events.get(action="return").payload["due_at"] == due.isoformat()


def test_the_total_clock_is_the_filing_time_and_never_moves(cast):
    case = case_in(cast, CaseStatus.DISPATCHED)
    filed = case.created_at
    for action in ("return", "dispatch", "start", "suspend", "resume", "report", "verify_fail"):
        case = act(cast, action, case)
    case.refresh_from_db()
    assert case.created_at == filed


# --- suspension (挂账) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("review_at", "message"),
    [
        (None, "required"),
        (lambda now: now - timedelta(hours=1), "after now"),
        (lambda now: now + timedelta(days=clocks.MAX_REVIEW_DAYS + 1), "within"),
        (lambda now: (now + timedelta(days=3)).replace(tzinfo=None), "time zone"),
    ],
)
def test_a_suspension_needs_a_sensible_review_date(cast, review_at, message):
    case = case_in(cast, CaseStatus.HANDLING)
    value = review_at(timezone.now()) if review_at else None
    with pytest.raises(ValidationError) as exc:
        act(cast, "suspend", case, review_at=value)
    assert message in " ".join(exc.value.message_dict["review_at"])
    case.refresh_from_db()
    assert case.status == CaseStatus.HANDLING and case.events.count() == case.version


def test_a_suspension_runs_to_its_review_date_and_keeps_the_handling_clock(cast):
    case = backdate_step(case_in(cast, CaseStatus.HANDLING), hours=1)
    due, review = case.due_at, timezone.now() + timedelta(days=10)
    case = act(cast, "suspend", case, review_at=review)
    assert (case.status, case.review_at, case.due_at, case.remind_at) == (
        CaseStatus.SUSPENDED,
        review,
        review,  # the suspension's deadline is its review date
        None,
    )
    assert case.paused_clock["due_at"] == due.isoformat()
    payload = case.events.get(action="suspend").payload
    assert payload["review_at"] == review.isoformat()
    assert payload["handling_due_at"] == due.isoformat()


def test_resume_gives_the_handling_step_the_time_it_had_left(cast):
    case = backdate_step(case_in(cast, CaseStatus.HANDLING), hours=1)
    suspended = act(cast, "suspend", case)
    left = working_left(case, at=suspended.events.get(action="suspend").at)
    resumed = act(cast, "resume", suspended)
    # Not a fresh limit: the time left when it stopped, from the moment it resumed.
    at = resumed.events.get(action="resume").at
    assert abs(working_left(resumed, at=at) - left) < SECOND
    limit = TimeLimit(case.category.handle_limit, case.category.limit_unit)
    assert resumed.due_at < add_working_time(at, limit)
    assert (resumed.review_at, resumed.paused_clock) == (None, None)


def test_an_overdue_case_resumes_overdue(cast):
    case = backdate_step(case_in(cast, CaseStatus.HANDLING), days=30)
    scan_deadlines()
    case.refresh_from_db()
    assert (case.overdue, case.escalation_level) == (True, 2)
    case = act(cast, "suspend", case)
    assert (case.overdue, case.escalation_level) == (False, 0)  # the review step's own marks
    case = act(cast, "resume", case)
    assert (case.overdue, case.escalation_level) == (True, 2)
    assert case.due_at < timezone.now()
    assert scan_deadlines().notifications == 0  # those marks were made and told already


def test_suspended_time_is_added_up_on_the_case_and_the_resume_event(cast):
    case = act(cast, "suspend", case_in(cast, CaseStatus.HANDLING))
    Case.objects.filter(pk=case.pk).update(step_started_at=case.step_started_at - timedelta(days=2))
    case = act(cast, "resume", case)
    first = case.events.get(action="resume").payload["suspended_seconds"]
    assert 2 * 86400 <= first < 2 * 86400 + 60
    assert case.suspended_seconds == first
    case = act(cast, "resume", act(cast, "suspend", case))
    second = case.events.filter(action="resume").order_by("-seq").first().payload
    assert case.suspended_seconds == first + second["suspended_seconds"]
    assert second["past_review"] is False


def test_a_suspension_past_its_review_date_is_escalated_once(cast, district_admin):
    case = act(cast, "suspend", case_in(cast, CaseStatus.HANDLING))
    assert scan_deadlines(now=case.review_at - SECOND).notifications == 0

    result = scan_deadlines(now=case.review_at)
    assert result.overdue == 1
    case.refresh_from_db()
    assert (case.status, case.overdue, case.escalation_level) == (CaseStatus.SUSPENDED, True, 1)
    notices = Notification.objects.filter(kind=K.OVERDUE)
    assert set(notices.values_list("user_id", flat=True)) == {cast.staff.pk, district_admin.pk}
    assert SlaNotice.objects.get(case=case, kind=K.OVERDUE).told == 2
    assert scan_deadlines(now=case.review_at + SECOND).notifications == 0  # idempotent

    red = scan_deadlines(now=case.review_at + timedelta(days=60))
    assert red.escalated == 1  # twice the suspension's span: red, like any step
    # As if the review date had passed by now (the scans above ran ahead of the clock).
    Case.objects.filter(pk=case.pk).update(review_at=timezone.now() - timedelta(hours=1))
    case = act(cast, "resume", case)
    assert case.events.get(action="resume").payload["past_review"] is True
    assert (case.overdue, case.escalation_level) == (False, 0)  # the handling clock's own


def test_replay_rebuilds_the_new_fields(cast, district_admin):
    cast.admin = district_admin
    case = new_case(cast)
    for action in ("accept", "dispatch", "return", "dispatch", "return", "assign_binding"):
        case = act(cast, action, case)
        assert replay_events(case.events.all()) == replayed_state(Case.objects.get(pk=case.pk))
    for action in ("start", "suspend", "resume", "report", "verify_pass"):
        case = act(cast, action, case)
        assert replay_events(case.events.all()) == replayed_state(Case.objects.get(pk=case.pk))
    state = replay_events(case.events.all())
    assert (state["return_count"], state["binding"]) == (2, True)
    assert state["suspended_seconds"] == case.suspended_seconds
    assert state["review_at"] is None and state["paused_clock"] is None


# --- the clock arithmetic, on chosen moments ---------------------------------------------------


def test_a_stopped_clock_restarts_where_it_stood_on_the_working_calendar(cast):
    case = case_in(cast, CaseStatus.HANDLING)
    calendar = WorkingCalendar.load()
    local = timezone.get_default_timezone()
    # Monday 2030-01-07 10:00, two working hours before the deadline; stopped until Wednesday
    # 15:00; restarted, the deadline is two working hours later: Wednesday 17:00.
    monday = timezone.datetime(2030, 1, 7, 10, 0, tzinfo=local)
    case.step_started_at, case.due_at = monday - timedelta(hours=1), monday + timedelta(hours=2)
    case.remind_at = case.reminded_for = monday
    case.overdue, case.escalation_level = False, 0
    snapshot = clocks.stopped_clock(case)
    wednesday = timezone.datetime(2030, 1, 9, 15, 0, tzinfo=local)
    restarted = clocks.restarted_clock(snapshot, stopped_at=monday, now=wednesday)
    assert restarted["due_at"] == timezone.datetime(2030, 1, 9, 17, 0, tzinfo=local)
    assert restarted["remind_at"] == restarted["reminded_for"] == wednesday
    assert calendar.between(restarted["step_started_at"], restarted["due_at"]) == timedelta(hours=3)
    assert (restarted["overdue"], restarted["escalation_level"]) == (False, 0)


def test_a_case_suspended_before_clocks_were_kept_resumes_with_a_fresh_limit(cast):
    case = act(cast, "suspend", case_in(cast, CaseStatus.HANDLING))
    # As the rows suspended before this change: no stopped clock, no review date.
    Case.objects.filter(pk=case.pk).update(paused_clock=None, review_at=None, due_at=None)
    case = act(cast, "resume", case)
    limit = TimeLimit(case.category.handle_limit, case.category.limit_unit)
    at = case.events.get(action="resume").at
    assert case.due_at == add_working_time(at, limit)
