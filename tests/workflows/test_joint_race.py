"""Two co-departments report their parts at the same moment as the lead reports (吹哨报到):
the row lock makes exactly one of the three the last, and only that one moves the case to
feedback; two check-ins (报到) for one summons at once: the second waits for the case's row
lock and then finds the summons checked in (PostgreSQL: select_for_update is a no-op on
SQLite)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from cases.models import CaseEvent
from grids.models import Role

from ..cases.personas import act, case_in, with_co_department
from ..factories import DepartmentFactory, assigned_user


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="select_for_update is a no-op on SQLite; row locking needs PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lead_and_two_parts_at_once_move_the_case_exactly_once(cast, other_handler, territory):
    with_co_department(cast, other_handler)
    fire = DepartmentFactory(district=territory.district, name="消防救援站", kind="fire")
    fire_handler = assigned_user(
        Role.HANDLER, "district", territory.district, "fire1", department=fire
    )
    case = case_in(cast, "handling")
    case = act(cast, "add_codepartment", case)
    case = act(cast, "add_codepartment", case, department_id=fire.pk)
    assert case.open_parts == 2
    barrier = threading.Barrier(3)
    outcomes: list[object] = []

    def run(action: str, by) -> None:
        try:
            barrier.wait()
            act(cast, action, case, by=by)
            outcomes.append(action)
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=("report", cast.handler)),
        threading.Thread(target=run, args=("report_part", other_handler)),
        threading.Thread(target=run, args=("report_part", fire_handler)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(str, outcomes)) == ["report", "report_part", "report_part"]
    case.refresh_from_db()
    assert (case.status, case.open_parts, case.version) == ("feedback", 0, 9)
    moved = CaseEvent.objects.filter(case=case, to_status="feedback")
    assert moved.count() == 1
    assert "verification" in moved.get().payload
    assert case.verifier_id is not None
    assert list(case.parts.values_list("status", flat=True)) == ["reported", "reported"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="select_for_update is a no-op on SQLite; row locking needs PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_check_ins_for_one_summons_at_once_check_it_in_once(cast, other_handler):
    joint = with_co_department(cast, other_handler)
    case = act(joint, "summon", case_in(joint, "dispatched"))
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run() -> None:
        try:
            barrier.wait()
            act(joint, "check_in", case)
            outcomes.append("checked in")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ActionForbidden", "checked in"]
    case.refresh_from_db()
    assert case.pending_summons == 1
    assert CaseEvent.objects.filter(case=case, action="check_in").count() == 1
