"""Setting a plan from the page, doing a worker's task, and a check-in that spawns a service
case linked to the household and resident (in one transaction: a refused case records
nothing); the case page then shows the household's history to those who serve it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from care.forms import PlanForm
from care.models import CarePlan, CareTask
from care.services import Problem, complete_task, create_plan
from cases.models import Case, CaseSource
from residents.models import Visit

from .conftest import MONDAY, weekly_call

pytestmark = pytest.mark.django_db


def test_a_worker_sets_a_weekly_check_in_from_the_page(worker_a, elder, alone, client):
    client.force_login(worker_a)
    index = client.get("/care/", HTTP_ACCEPT_LANGUAGE="en")
    assert f"/care/residents/{elder.pk}/plan/" in index.content.decode()
    posted = client.post(
        f"/care/residents/{elder.pk}/plan/",
        {
            "tag": alone.pk,
            "kind": "call",
            "responsible": "worker",
            "worker": worker_a.pk,
            "frequency": "weekly",
            "weekday": 0,
            "starts_on": timezone.localdate().isoformat(),
        },
    )
    assert posted.status_code == 302
    plan = CarePlan.objects.get()
    assert (plan.resident, plan.worker, plan.weekday) == (elder, worker_a, 0)


def test_bad_plan_input_is_a_400_with_field_errors(worker_a, elder, alone, client):
    client.force_login(worker_a)
    page = client.post(
        f"/care/residents/{elder.pk}/plan/",
        {
            "tag": alone.pk,
            "kind": "call",
            "responsible": "worker",
            "frequency": "weekly",
            "starts_on": timezone.localdate().isoformat(),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 400 and "Choose a weekday." in page.content.decode()
    assert not CarePlan.objects.exists()


def _weekly_call_from(starts_on, alone, worker) -> dict:
    return {
        "tag": alone.pk,
        "kind": "call",
        "responsible": "worker",
        "worker": worker.pk,
        "frequency": "weekly",
        "weekday": 0,
        "starts_on": starts_on.isoformat(),
    }


def test_a_plan_may_start_up_to_a_year_back_and_no_further(worker_a, elder, alone):
    today = timezone.localdate()
    for days_back, valid in ((365, True), (366, False)):
        form = PlanForm(
            _weekly_call_from(today - timedelta(days=days_back), alone, worker_a),
            resident=elder,
            user=worker_a,
        )
        assert form.is_valid(), form.errors
        try:
            create_plan(by=worker_a, resident_id=elder.pk, **form.service_kwargs())
        except ValidationError as exc:
            assert not valid and list(exc.message_dict) == ["starts_on"]
        else:
            assert valid
    assert CarePlan.objects.count() == 1


def test_a_plan_starting_decades_ago_is_a_400_and_writes_no_tasks(worker_a, elder, alone, client):
    client.force_login(worker_a)
    page = client.post(
        f"/care/residents/{elder.pk}/plan/",
        _weekly_call_from(timezone.localdate() - timedelta(days=36 * 365), alone, worker_a),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 400
    assert "Start the plan at most 365 days ago." in page.content.decode()
    assert not CarePlan.objects.exists() and not CareTask.objects.exists()


def test_out_of_scope_residents_and_tasks_are_404(worker_a, worker_b, elder, alone, client):
    plan = weekly_call(worker_a, elder, alone)
    client.force_login(worker_b)
    assert client.get(f"/care/residents/{elder.pk}/plan/").status_code == 404
    assert client.get(f"/care/tasks/{plan.tasks.first().pk}/").status_code == 404


def test_a_home_visit_done_is_a_visit_too(worker_a, elder, alone):
    plan = weekly_call(worker_a, elder, alone, kind="visit")
    task = complete_task(task_id=plan.tasks.first().pk, by=worker_a, note="家中一切正常")
    assert task.visit == Visit.objects.get(household=elder.household, worker=worker_a)


def test_a_check_in_spawns_a_service_case_linked_to_household_and_resident(
    worker_a, elder, alone, client
):
    plan = weekly_call(worker_a, elder, alone)
    task = plan.tasks.get(due_on=MONDAY)
    client.force_login(worker_a)
    done = client.post(
        f"/care/tasks/{task.pk}/",
        {
            "note": "电话问候：腿疼，行动不便",
            "report": "on",
            "category": "S0101",
            "description": "独居老人腿疼行动不便，需要上门助餐",
        },
    )
    case = Case.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/cases/{case.pk}/"
    assert (case.household, case.resident, case.source, case.cell) == (
        elder.household,
        elder,
        CaseSource.VISIT,
        elder.cell,
    )
    task.refresh_from_db()
    assert task.case == case and task.status == "done"


def test_a_refused_case_records_nothing(worker_a, elder, alone):
    plan = weekly_call(worker_a, elder, alone)
    task = plan.tasks.first()
    with pytest.raises(ValidationError):
        complete_task(
            task_id=task.pk, by=worker_a, note="x", problem=Problem("S9999", "no such category")
        )
    task.refresh_from_db()
    assert task.status == "open" and not Case.objects.exists()


def test_someone_elses_task_is_not_yours_to_do(worker_a, worker_b, elder, alone, client):
    plan = weekly_call(worker_a, elder, alone)
    client.force_login(worker_b)
    response = client.post(f"/care/tasks/{plan.tasks.first().pk}/", {"note": "x"})
    assert response.status_code == 404


def test_the_service_case_shows_the_households_history_to_those_who_serve_it(
    worker_a, elder, alone, street_staff, district_admin, client
):
    record_visit_note = "上门：老人说腿疼"
    from residents.visits import record_visit

    record_visit(household_id=elder.household_id, by=worker_a, note=record_visit_note)
    plan = weekly_call(worker_a, elder, alone)
    task = complete_task(
        task_id=plan.tasks.first().pk,
        by=worker_a,
        note="电话",
        problem=Problem("S0101", "腿疼需要助餐"),
    )
    for user, shown in ((worker_a, True), (street_staff, True), (district_admin, False)):
        client.force_login(user)
        page = client.get(f"/cases/{task.case_id}/").content.decode()
        assert ('data-testid="household-history"' in page) is shown, user
        assert (record_visit_note in page) is shown


def test_a_home_visit_by_a_worker_who_no_longer_serves_the_household_is_refused(
    worker_a, elder, alone, territory, client
):
    from care.services import CareConflict
    from grids.models import Assignment

    plan = weekly_call(worker_a, elder, alone, kind="visit")
    task = plan.tasks.first()
    Assignment.objects.filter(user=worker_a).update(cell=territory.cell_b)  # moved next door
    with pytest.raises(CareConflict):
        complete_task(task_id=task.pk, by=worker_a, note="上门")
    client.force_login(worker_a)
    page = client.post(f"/care/tasks/{task.pk}/", {"note": "上门"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 409
    assert "no longer serve" in page.content.decode()
    task.refresh_from_db()
    assert task.status == "open" and not Visit.objects.exists()


def test_a_plan_for_a_derived_tag_finds_residents_by_age(worker_a, territory, client):
    """老年人 follows from the birth date (Tag.min_age), never ticked: a plan for it is set
    for anyone that old, listed as needing one, and refused for anyone younger."""
    from datetime import date

    from residents.models import Tag

    from ..factories import HouseholdFactory, ResidentFactory

    elderly = Tag.objects.get(code="elderly")
    household = HouseholdFactory(cell=territory.cell_a, address="幸福路7号院1号楼")
    old = ResidentFactory(household=household, name="赵大爷", birth_date=date(1950, 1, 2), tags=[])
    young = ResidentFactory(household=household, name="赵小", birth_date=date(1990, 1, 2), tags=[])
    client.force_login(worker_a)
    index = client.get("/care/").content.decode()
    assert f"/care/residents/{old.pk}/plan/" in index and "老年人" in index
    assert f"/care/residents/{young.pk}/plan/" not in index
    form = client.get(f"/care/residents/{old.pk}/plan/").content.decode()
    assert f'<option value="{elderly.pk}">老年人</option>' in form
    with pytest.raises(ValidationError) as refused:
        weekly_call(worker_a, young, elderly)
    assert set(refused.value.message_dict) == {"tag"}
    posted = client.post(
        f"/care/residents/{old.pk}/plan/",
        {
            "tag": elderly.pk,
            "kind": "call",
            "responsible": "worker",
            "worker": worker_a.pk,
            "frequency": "weekly",
            "weekday": 0,
            "starts_on": timezone.localdate().isoformat(),
        },
    )
    assert posted.status_code == 302
    assert CarePlan.objects.get().tag == elderly
