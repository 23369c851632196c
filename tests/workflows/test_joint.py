"""Joint handling (吹哨报到, issue 16): co-departments' parts, summonses and check-ins,
transfers — through the services, as the API and the pages call them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from cases.models import CaseStatus, Summons
from cases.selectors import cases_visible_to, department_cases
from workflows import services
from workflows.errors import ActionForbidden, TransitionNotAllowed
from workflows.models import Notification, NotificationKind
from workflows.summons import scan_summonses
from workflows.transitions import allowed_actions

from ..cases.personas import POINT_X, act, case_in, with_co_department
from ..factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(cast, other_handler):
    """The cast with a co-department (市场监管所) and its handler."""
    return with_co_department(cast, other_handler)


def _with_part(cast, status=CaseStatus.HANDLING):
    return act(cast, "add_codepartment", case_in(cast, status))


def test_lead_report_waits_for_the_part_and_the_part_moves_the_case(joint):
    case = _with_part(joint)
    assert case.open_parts == 1
    case = act(joint, "report", case)
    assert (case.status, case.verifier_id) == ("handling", None)
    assert case.lead_reported_at is not None
    with pytest.raises(TransitionNotAllowed) as exc:  # the lead reported already
        act(joint, "report", case)
    assert "co-departments" in str(exc.value)
    case = act(joint, "report_part", case)
    assert (case.status, case.open_parts) == ("feedback", 0)
    assert case.verifier == joint.reporter  # drawn when the case moved on, not the handler
    assert "verification" in case.events.get(action="report_part").payload
    case = act(joint, "verify_pass", case)
    assert case.status == "closed"


def test_part_reported_first_lets_the_lead_report_move_the_case(joint):
    case = act(joint, "report_part", _with_part(joint))
    assert case.status == "handling"
    assert act(joint, "report", case).status == "feedback"


def test_released_part_counts_as_done(joint):
    case = act(joint, "report", _with_part(joint))
    case = act(joint, "release_part", case)
    assert case.status == "feedback"
    assert case.parts.get().status == "released"
    with pytest.raises(TransitionNotAllowed):
        act(joint, "release_part", case)


def test_rework_asks_the_lead_again_not_the_done_parts(joint):
    case = act(joint, "report_part", act(joint, "report", _with_part(joint)))
    case = act(joint, "verify_fail", case)
    assert (case.status, case.lead_reported_at) == ("dispatched", None)
    case = act(joint, "report", act(joint, "start", case))
    assert case.status == "feedback"


def test_co_department_sees_and_acts_on_that_case_only(joint):
    other = case_in(joint, CaseStatus.HANDLING)
    case = case_in(joint, CaseStatus.HANDLING)
    with pytest.raises(Http404):
        act(joint, "report_part", case)
    act(joint, "add_codepartment", case)
    visible = set(cases_visible_to(joint.co_handler).values_list("pk", flat=True))
    assert visible == {case.pk}
    assert other.pk not in set(department_cases(joint.co_handler).values_list("pk", flat=True))
    case.refresh_from_db()
    assert allowed_actions(case, joint.co_handler) == ["report_part"]
    for action in ("report", "request_extension", "request_transfer"):
        with pytest.raises(ActionForbidden):
            act(joint, action, case, by=joint.co_handler)
    # The lead's handler has no part to report.
    with pytest.raises(ActionForbidden):
        act(joint, "report_part", case, by=joint.handler)


def test_add_codepartment_refuses_the_lead_twice_and_a_past_deadline(joint):
    case = case_in(joint, CaseStatus.DISPATCHED)
    with pytest.raises(ValidationError) as exc:
        act(joint, "add_codepartment", case, department_id=joint.department.pk)
    assert "department" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        act(joint, "add_codepartment", case, due_at=case.created_at - timedelta(hours=1))
    assert "due_at" in exc.value.message_dict
    act(joint, "add_codepartment", case)
    with pytest.raises(ValidationError):
        act(joint, "add_codepartment", case)


def test_a_parts_deadline_years_ahead_is_a_field_error_not_a_crash(joint):
    """The part's 催办 point is reckoned on the working calendar, which refuses spans over a
    year's worth: a deadline beyond that is the form's mistake, said on ``due_at``."""
    case = case_in(joint, CaseStatus.DISPATCHED)
    with pytest.raises(ValidationError) as exc:
        act(joint, "add_codepartment", case, due_at=case.created_at + timedelta(days=800))
    assert "due_at" in exc.value.message_dict
    assert not case.parts.exists()


def test_summon_and_check_in_on_site(joint):
    case = act(joint, "summon", case_in(joint, CaseStatus.DISPATCHED))
    assert case.pending_summons == 2
    summons = Summons.objects.get(case=case, department=joint.co_department)
    limit = case.category.arrival_minutes
    assert summons.arrive_by - summons.summoned_at == timedelta(minutes=limit)
    with pytest.raises(ValidationError) as exc:  # far from the case, outside its cell
        act(joint, "check_in", case, lon=POINT_X[0], lat=POINT_X[1])
    assert "lon" in exc.value.message_dict
    case = act(joint, "check_in", case)
    summons.refresh_from_db()
    assert summons.checked_in_by == joint.co_handler and summons.in_cell and summons.on_time
    assert case.pending_summons == 1
    with pytest.raises(ActionForbidden):  # this department is checked in
        act(joint, "check_in", case)
    case = act(joint, "check_in", case, by=joint.handler)
    assert case.pending_summons == 0
    with pytest.raises(TransitionNotAllowed):
        act(joint, "check_in", case, by=joint.handler)


def test_summoning_a_department_on_its_way_is_refused(joint):
    case = act(joint, "summon", case_in(joint, CaseStatus.HANDLING))
    with pytest.raises(ValidationError) as exc:
        act(joint, "summon", case)
    assert "departments" in exc.value.message_dict


def test_late_check_in_is_escalated_by_the_scanner(joint):
    case = act(joint, "summon", case_in(joint, CaseStatus.HANDLING))
    summons = Summons.objects.get(case=case, department=joint.co_department)
    assert scan_summonses(now=summons.arrive_by - timedelta(minutes=1)).late == 0
    result = scan_summonses(now=summons.arrive_by + timedelta(minutes=1))
    assert result.late == 2
    summons.refresh_from_db()
    assert (summons.overdue, summons.escalation_level) == (True, 1)
    late = Notification.objects.filter(case=case, kind=NotificationKind.OVERDUE)
    assert set(late.values_list("user_id", flat=True)) >= {joint.co_handler.pk, joint.staff.pk}
    again = scan_summonses(now=summons.arrive_by + timedelta(minutes=2))
    assert (again.late, again.red, again.notifications) == (0, 0, 0)  # nothing twice
    red = scan_summonses(now=summons.summoned_at + 2 * (summons.arrive_by - summons.summoned_at))
    assert red.red == 2
    summons.refresh_from_db()
    assert summons.escalation_level == 2
    case = act(joint, "check_in", case)  # late is late: the mark stays
    summons.refresh_from_db()
    assert summons.overdue and summons.checked_in_at is not None


def test_transfer_keeps_the_clock_and_the_record(joint):
    case = case_in(joint, CaseStatus.HANDLING)
    due, started = case.due_at, case.step_started_at
    case = act(joint, "request_transfer", case)
    assert case.transfer_to == joint.co_department and case.status == "handling"
    with pytest.raises(TransitionNotAllowed):
        act(joint, "request_transfer", case)
    case = act(joint, "approve_transfer", case)
    assert (case.status, case.department, case.handler) == ("dispatched", joint.co_department, None)
    assert (case.due_at, case.step_started_at) == (due, started)  # the clock runs on
    record = case.events.get(action="approve_transfer").payload["transfer"]
    assert record["department"] == joint.department.pk and record["to"] == joint.co_department.pk
    # The new department handles it; the old one no longer sees it.
    assert act(joint, "start", case, by=joint.co_handler).handler == joint.co_handler
    with pytest.raises(Http404):
        act(joint, "report", case, by=joint.handler)


def test_refused_transfer_stays(joint):
    case = act(joint, "refuse_transfer", act(joint, "request_transfer", case_in(joint, "handling")))
    assert (case.department, case.transfer_to) == (joint.department, None)
    with pytest.raises(TransitionNotAllowed):
        act(joint, "approve_transfer", case)


def test_replay_rebuilds_the_case_and_its_parts(joint):
    case = _with_part(joint)
    case = act(joint, "check_in", act(joint, "summon", case))
    case = act(joint, "request_transfer", act(joint, "report_part", case))
    events = list(case.events.all())
    case.refresh_from_db()
    assert services.replay_events(events) == services.replayed_state(case)
    assert services.joint_state_from_events(events) == services.joint_state(case)
    case = act(joint, "report", act(joint, "refuse_transfer", case))
    assert case.status == "feedback"
    events = list(case.events.all())
    case.refresh_from_db()
    assert services.replay_events(events) == services.replayed_state(case)
    state = services.joint_state_from_events(events)
    assert state == services.joint_state(case)
    assert state["parts"] == {joint.co_department.pk: "reported"}
    assert state["summonses"] == {joint.department.pk: [False], joint.co_department.pk: [True]}


def test_the_departments_named_are_told_and_staff_decide_transfers(joint):
    from workflows.notifications import next_actors

    case = act(joint, "summon", case_in(joint, CaseStatus.HANDLING))
    assert next_actors(case, "summon") == {joint.handler.pk, joint.co_handler.pk}
    case = act(joint, "add_codepartment", case)
    assert next_actors(case, "add_codepartment") == {joint.co_handler.pk}
    case = act(joint, "report_part", case)
    assert next_actors(case, "report_part") == set()  # the lead has not reported: nobody new
    case = act(joint, "request_transfer", case, department_id=joint.co_department.pk)
    assert next_actors(case, "request_transfer") == {joint.staff.pk}


def test_a_summons_is_not_escalated_once_its_case_moved_on(joint):
    case = act(joint, "summon", case_in(joint, CaseStatus.HANDLING))
    case = act(joint, "report", case)  # the lead reports before anyone summoned arrived
    assert case.status == CaseStatus.FEEDBACK and case.pending_summons == 2
    summons = Summons.objects.get(case=case, department=joint.co_department)
    result = scan_summonses(now=summons.arrive_by + timedelta(minutes=1))
    assert (result.late, result.notifications) == (0, 0)


def test_a_transfer_target_is_checked_again_when_approved(joint):
    case = act(joint, "request_transfer", case_in(joint, CaseStatus.HANDLING))
    with pytest.raises(ValidationError) as exc:  # the department asked for: not a co-department
        act(joint, "add_codepartment", case)
    assert "department" in exc.value.message_dict
    joint.co_department.is_active = False
    joint.co_department.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as exc:  # it closed since the request
        act(joint, "approve_transfer", case)
    assert "transfer_to" in exc.value.message_dict


def _summon_queries(joint, departments: list[int]) -> int:
    case = case_in(joint, CaseStatus.DISPATCHED)
    with CaptureQueriesContext(connection) as queries:
        act(joint, "summon", case, department_ids=departments)
    assert Summons.objects.filter(case=case).count() == len(departments)
    return len(queries)


def test_summoning_costs_the_same_queries_for_one_department_or_four(joint, territory):
    more = [
        DepartmentFactory(district=territory.district, name=f"部门{i}", kind="other").pk
        for i in range(3)
    ]
    one = _summon_queries(joint, [joint.co_department.pk])
    four = _summon_queries(joint, [joint.co_department.pk, *more])
    assert one == four
