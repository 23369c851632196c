"""The whole loop: deadlines, auto-routing, event replay, and concurrent dispatch."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, RoutingRule
from workflows import outbox, routing, services, tasks
from workflows.calendar import TimeLimit, add_working_time
from workflows.errors import TransitionNotAllowed
from workflows.models import Effect, Notification
from workflows.services import loop, replay_events, replayed_state, runner

from ..cases.personas import act, case_in, new_case

pytestmark = pytest.mark.django_db


def test_accept_starts_the_dispatch_deadline_on_the_working_calendar(cast):
    case = act(cast, "accept", new_case(cast))
    limit = TimeLimit(case.category.dispatch_limit, case.category.limit_unit)
    assert case.step_started_at == case.accepted_at
    assert case.due_at == add_working_time(case.accepted_at, limit)
    assert case.remind_at == add_working_time(case.accepted_at, limit.scaled("0.8"))
    assert case.accepted_at < case.remind_at < case.due_at


def test_accept_may_correct_category_and_priority(cast):
    case = act(cast, "accept", new_case(cast), category_code="C0104", priority="urgent")
    assert (case.category.code, case.priority) == ("C0104", "urgent")
    hours = float(case.category.urgent_limit_hours)
    assert case.due_at - case.accepted_at == timezone.timedelta(hours=hours)


def test_start_keeps_the_handling_deadline_and_suspend_stops_the_clock(cast):
    case = case_in(cast, "dispatched")
    limit = TimeLimit(case.category.handle_limit, case.category.limit_unit)
    assert case.due_at == add_working_time(case.dispatched_at, limit)
    due = case.due_at
    case = act(cast, "start", case)
    assert (case.due_at, case.handler) == (due, cast.handler)
    case = act(cast, "suspend", case)
    # The suspension runs to its review date; the handling clock stands still meanwhile.
    assert (case.due_at, case.remind_at) == (case.review_at, None)
    case = act(cast, "resume", case)
    # Resumed a moment later: the same deadline, moved by that moment (tests/workflows/
    # test_clocks.py has the rules).
    assert timedelta(0) <= case.due_at - due < timedelta(seconds=1)


def test_accept_owes_routing_and_the_outbox_delivers_it(cast, territory):
    case = new_case(cast)
    RoutingRule.objects.create(
        category=case.category, district=territory.district, department=cast.department
    )
    accepted = act(cast, "accept", case)
    assert Effect.objects.filter(key=f"transition:{case.pk}:accept:{accepted.version}").exists()
    outbox.deliver_pending(seconds=10)
    case.refresh_from_db()
    assert (case.status, case.department) == ("dispatched", cast.department)
    assert not Effect.objects.filter(key__contains=":accept:").exists()


def test_route_case_ignores_a_delivery_for_an_earlier_accept(cast, territory):
    case = act(cast, "accept", new_case(cast))
    RoutingRule.objects.create(
        category=case.category, district=territory.district, department=cast.department
    )
    # The department returned the case and staff accepted it again: the old message is stale.
    assert routing.route_case(case.pk, case.version - 1) is None
    case.refresh_from_db()
    assert case.status == "accepted"
    assert routing.route_case(case.pk, case.version) == cast.department.pk


def test_route_case_dispatches_by_rule_once(cast, territory):
    case = act(cast, "accept", new_case(cast))
    assert routing.route_case(case.pk) is None  # no rule: the case waits for the street
    RoutingRule.objects.create(
        category=case.category, district=territory.district, department=cast.department
    )
    assert routing.route_case(case.pk) == cast.department.pk
    case.refresh_from_db()
    assert (case.status, case.department) == ("dispatched", cast.department)
    event = case.events.get(action="dispatch")
    assert event.actor is None
    assert routing.route_case(case.pk) is None  # a second delivery changes nothing
    assert routing.route_case(10**9) is None
    assert case.events.filter(action="dispatch").count() == 1


def test_whole_loop_with_rework_replays_to_the_current_state(cast):
    case = new_case(cast)
    steps = [
        "accept",
        "dispatch",
        "return",
        "dispatch",
        "start",
        "request_extension",
        "approve_extension",
        "suspend",
        "resume",
        "report",
        "verify_fail",
        "start",
        "report",
        "verify_pass",
    ]
    for action in steps:
        case = act(cast, action, case)
        fresh = Case.objects.get(pk=case.pk)
        assert replay_events(fresh.events.all()) == replayed_state(fresh)
    assert (case.status, case.rework_count, case.version) == ("closed", 1, len(steps) + 1)
    assert [e.action for e in case.events.order_by("seq")] == ["create", *steps]
    assert case.closed_at and case.reported_at and case.started_at and case.dispatched_at


def test_replay_refuses_a_broken_chain(cast):
    case = case_in(cast, "dispatched")
    events = list(case.events.all())
    with pytest.raises(ValueError, match="seq"):
        replay_events(events[1:])
    broken = CaseEvent(seq=4, action="start", from_status="collected", to_status="handling")
    with pytest.raises(ValueError, match="starts from"):
        replay_events([*events, broken])


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="select_for_update is a no-op on SQLite; row locking needs PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_dispatches_one_wins(cast, monkeypatch):
    case = case_in(cast, "accepted")
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def dispatch() -> None:
        try:
            barrier.wait()
            services.dispatch_case(case_id=case.pk, by=cast.staff, department_id=cast.department.pk)
            outcomes.append("ok")
        except TransitionNotAllowed as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatch) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("ok") == 1
    (conflict,) = [o for o in outcomes if o != "ok"]
    assert isinstance(conflict, TransitionNotAllowed) and conflict.status == "dispatched"
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    case.refresh_from_db()
    assert (case.status, case.version) == ("dispatched", 3)


def test_limits_come_from_the_category(cast):
    case = new_case(cast)
    case.category.dispatch_limit = Decimal("3")
    case.category.save(update_fields=["dispatch_limit"])
    case = act(cast, "accept", case)
    limit = TimeLimit(Decimal("3"), case.category.limit_unit)
    assert case.due_at == add_working_time(case.accepted_at, limit)


def test_an_approved_extension_reminds_at_80_percent_of_the_working_time(cast):
    from workflows.calendar import WorkingCalendar

    case = act(cast, "start", act(cast, "dispatch", act(cast, "accept", new_case(cast))))
    wanted = case.due_at + timedelta(days=7)
    services.request_extension(case_id=case.pk, by=cast.handler, reason="需协调", due_at=wanted)
    case = services.approve_extension(case_id=case.pk, by=cast.staff)
    calendar = WorkingCalendar.load()
    approved_at = case.events.get(action="approve_extension").at
    total = calendar.between(approved_at, wanted)
    assert case.due_at == wanted
    # 80 % of the working time, not of the clock time (which would land in a night or weekend)
    assert abs(calendar.between(approved_at, case.remind_at) - total * 0.8) < timedelta(seconds=1)


def test_an_extension_needs_a_deadline_with_its_time_zone(cast):
    case = act(cast, "start", act(cast, "dispatch", act(cast, "accept", new_case(cast))))
    naive = (case.due_at + timedelta(days=3)).replace(tzinfo=None)
    with pytest.raises(ValidationError) as exc:
        services.request_extension(case_id=case.pk, by=cast.handler, reason="需协调", due_at=naive)
    assert "due_at" in exc.value.message_dict


def test_staff_may_correct_the_cell_on_accept_within_their_street(cast, territory):
    case = new_case(cast)  # filed in cell A
    with pytest.raises(ValidationError) as exc:  # cell X is in street 2
        services.accept_case(case_id=case.pk, by=cast.staff, cell_code=territory.cell_x.full_code)
    assert "cell" in exc.value.message_dict
    case = services.accept_case(
        case_id=case.pk, by=cast.staff, cell_code=territory.cell_b.full_code
    )
    assert case.cell == territory.cell_b and case.street == territory.street1
    assert replay_events(case.events.all()) == replayed_state(case)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_broker_outage_after_commit_does_not_undo_or_fail_the_step(cast, monkeypatch, caplog):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_effects, "apply_async", broker_down)
    case = services.accept_case(case_id=new_case(cast).pk, by=cast.staff)
    tasks.request_effects_delivery.join()
    case.refresh_from_db()
    assert case.status == "accepted"
    assert "broker unreachable" in caplog.text
    # Nothing owed is lost: beat's sweep delivers it (here, the sweep run by hand).
    assert outbox.deliver_pending(seconds=10).done >= 1
    assert Notification.objects.filter(case=case, user=cast.staff).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="select_for_update is a no-op on SQLite; row locking needs PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_merging_two_cases_into_each_other_at_once_never_deadlocks(cast, monkeypatch):
    """Before: merge A→B locked A, then the foreign key check on B waited for B's lock, held
    by merge B→A, which waited for A: PostgreSQL killed one as a deadlock (a 500). Both are
    now locked in id order first: one merge wins, the other is refused as a 400.

    Each merge waits (up to 3 s) inside its step for the other to reach its step too, which
    forces the interleaving that deadlocked; with the ordered locks the second cannot get
    there, so the wait times out and the first goes on alone."""
    first, second = new_case(cast), new_case(cast)
    inside = threading.Barrier(2)
    visible = loop.cases_visible_to

    def meet_the_other_merge(user):
        with contextlib.suppress(threading.BrokenBarrierError):
            inside.wait(timeout=3)
        return visible(user)

    monkeypatch.setattr(loop, "cases_visible_to", meet_the_other_merge)
    outcomes: list[str] = []

    def merge(case_id: int, into: int) -> None:
        try:
            services.merge_case(case_id=case_id, by=cast.staff, duplicate_of_id=into)
            outcomes.append("ok")
        except (ValidationError, TransitionNotAllowed) as exc:
            outcomes.append(type(exc).__name__)
        except Exception as exc:  # the deadlock this test is about
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=merge, args=(first.pk, second.pk)),
        threading.Thread(target=merge, args=(second.pk, first.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ValidationError", "ok"], outcomes


class _LostRace(Exception):
    pgcode = "40P01"  # what psycopg2 sets on "deadlock detected"


def _losing(times: int, real):
    calls = {"n": 0}

    def save_with_event(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= times:
            raise OperationalError("deadlock detected") from _LostRace()
        return real(*args, **kwargs)

    return save_with_event


# Outside a test transaction: the retry is only made when no outer transaction is open.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_step_that_lost_a_race_is_tried_once_more(cast, monkeypatch):
    case = new_case(cast)
    monkeypatch.setattr(runner, "save_with_event", _losing(1, runner.save_with_event))
    assert services.accept_case(case_id=case.pk, by=cast.staff).status == "accepted"


# Outside a test transaction: the retry is only made when no outer transaction is open.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_step_that_loses_twice_is_a_409_naming_the_state_now(cast, monkeypatch):
    case = new_case(cast)
    monkeypatch.setattr(runner, "save_with_event", _losing(2, runner.save_with_event))
    with pytest.raises(TransitionNotAllowed, match="same moment") as exc:
        services.accept_case(case_id=case.pk, by=cast.staff)
    assert exc.value.status == "collected"
    monkeypatch.setattr(runner, "save_with_event", _losing(1, runner.save_with_event))
    # Inside an outer transaction (which the lost race broke) the error is left to it.
    with pytest.raises(OperationalError), transaction.atomic():
        services.accept_case(case_id=case.pk, by=cast.staff)
