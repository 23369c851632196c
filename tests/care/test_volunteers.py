"""Volunteers see open volunteer tasks of their community with only what the task needs —
how to address the resident (王奶奶) and the building — never the name, ID number, phone or
full address, on the page or in the API's JSON; take one (once), record it done with hours;
hours count per volunteer and organisation, and a monthly certificate shows them."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from care.models import CareTask, Responsible
from care.services import CareConflict, complete_task, take_task

from .conftest import weekly_call

pytestmark = pytest.mark.django_db

SECRETS = ("王秀英", "秀英", "13912345678", "2单元301", "19460308")


def assert_no_personal_data(text: str, elder) -> None:
    for secret in (*SECRETS, elder.id_number, elder.id_number[-4:], elder.phone[-4:]):
        assert secret not in text, secret


def test_the_page_shows_what_the_task_needs_and_nothing_more(
    volunteer, volunteer_plan, elder, client
):
    client.force_login(volunteer)
    page = client.get("/care/volunteer/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert "王奶奶" in text and "幸福路12号院3号楼" in text
    assert_no_personal_data(text, elder)
    task = volunteer_plan.tasks.first()
    detail = client.get(f"/care/tasks/{task.pk}/").content.decode()
    assert "王奶奶" in detail
    assert_no_personal_data(detail, elder)


def test_the_api_shows_what_the_task_needs_and_nothing_more(volunteer, volunteer_plan, elder):
    api = APIClient()
    api.force_authenticate(volunteer)
    response = api.get("/api/v1/care/volunteer-tasks/")
    assert response.status_code == 200
    rows = response.json()
    assert rows and set(rows[0]) == {
        "id",
        "what",
        "note",
        "due_on",
        "status",
        "called",
        "building",
        "community",
        "mine",
    }
    assert rows[0]["called"] == "王奶奶" and rows[0]["building"] == "幸福路12号院3号楼"
    assert_no_personal_data(json.dumps(rows, ensure_ascii=False), elder)
    taken = api.post(f"/api/v1/care/volunteer-tasks/{rows[0]['id']}/take/")
    assert taken.status_code == 200 and taken.json()["mine"] is True
    assert_no_personal_data(json.dumps(taken.json(), ensure_ascii=False), elder)


def test_worker_tasks_and_other_communities_are_not_shown(
    volunteer, volunteer_x, worker_a, elder, alone, volunteer_plan, client
):
    weekly_call(worker_a, elder, alone)  # the worker's own calls: not volunteer tasks
    client.force_login(volunteer)
    shown = client.get("/api/v1/care/volunteer-tasks/").json()
    assert {CareTask.objects.get(pk=r["id"]).plan_id for r in shown} == {volunteer_plan.pk}
    client.force_login(volunteer_x)
    assert client.get("/api/v1/care/volunteer-tasks/").json() == []
    task = volunteer_plan.tasks.first()
    assert client.post(f"/api/v1/care/volunteer-tasks/{task.pk}/take/").status_code == 404
    assert client.get(f"/care/tasks/{task.pk}/").status_code == 404


def test_an_organisations_tasks_are_for_its_members(
    volunteer, worker_a, elder, alone, organisation, client
):
    plan = weekly_call(
        worker_a,
        elder,
        alone,
        responsible=Responsible.ORGANISATION,
        worker_id=None,
        organisation_id=organisation.pk,
        starts_on=timezone.localdate(),
        today=timezone.localdate(),
    )
    client.force_login(volunteer)
    assert client.get("/api/v1/care/volunteer-tasks/").json() == []
    from care.models import Volunteer

    Volunteer.objects.create(user=volunteer, organisation=organisation)
    ids = {r["id"] for r in client.get("/api/v1/care/volunteer-tasks/").json()}
    assert ids == set(plan.tasks.values_list("id", flat=True))


def test_a_task_is_taken_once(volunteer, volunteer_plan, territory):
    from grids.models import Role

    from ..factories import assigned_user

    other = assigned_user(Role.VOLUNTEER, "community", territory.community1, "volunteer2")
    task = volunteer_plan.tasks.first()
    take_task(task_id=task.pk, by=volunteer)
    take_task(task_id=task.pk, by=volunteer)  # again: nothing changes
    with pytest.raises(CareConflict):
        take_task(task_id=task.pk, by=other)
    api = APIClient()
    api.force_authenticate(other)
    refused = api.post(f"/api/v1/care/volunteer-tasks/{task.pk}/take/")
    assert refused.status_code == 409 and refused.json()["detail"]
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("taken", volunteer)


def test_done_with_hours_counts_for_the_volunteer_and_organisation(
    member, organisation, volunteer_plan, client
):
    task = volunteer_plan.tasks.first()
    with pytest.raises(ValidationError) as refused:
        complete_task(task_id=task.pk, by=member, note="x", hours="0")
    assert set(refused.value.message_dict) == {"hours"}
    client.force_login(member)
    client.post(f"/care/volunteer/{task.pk}/take/")
    done = client.post(f"/care/tasks/{task.pk}/", {"note": "陪老人聊天一小时", "hours": "1.5"})
    assert done.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.hours, task.organisation, task.done_by) == (
        "done",
        Decimal("1.5"),
        organisation,
        member,
    )
    again = client.post(f"/care/tasks/{task.pk}/", {"note": "x", "hours": "1"})
    assert again.status_code in (404, 409)
    month = timezone.localdate().strftime("%Y-%m")
    certificate = client.get(f"/care/hours/?month={month}").content.decode()
    assert "志愿服务时长证明" in certificate and "1.5" in certificate
    assert organisation.name in certificate


def test_staff_see_hours_per_volunteer_and_organisation(
    member, organisation, volunteer_plan, street_staff, staff2, client
):
    for task in volunteer_plan.tasks.all()[:2]:
        complete_task(task_id=task.pk, by=member, note="ok", hours="2")
    month = timezone.localdate().strftime("%Y-%m")
    client.force_login(street_staff)
    page = client.get(f"/care/hours/?month={month}").content.decode()
    assert "4.0" in page and organisation.name in page
    client.force_login(staff2)
    assert organisation.name not in client.get(f"/care/hours/?month={month}").content.decode()


def test_a_missed_volunteer_task_is_past_and_no_longer_offered(volunteer, volunteer_plan):
    from care.selectors import volunteer_tasks

    later = timezone.localdate() + timedelta(days=8)
    shown = {v.id for v in volunteer_tasks(volunteer, today=later)}
    assert shown and all(CareTask.objects.get(pk=i).due_on >= later for i in shown)


def test_the_hours_table_speaks_the_readers_language(member, volunteer_plan, street_staff, client):
    complete_task(task_id=volunteer_plan.tasks.first().pk, by=member, note="ok", hours="2")
    client.force_login(street_staff)
    page = client.get("/care/hours/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for header in ("Volunteer", "Organisation", "Services", "Hours"):
        assert f"<th>{header}</th>" in page, header
    assert "<th>志愿者</th>" not in page and "<th>所属组织</th>" not in page


def test_a_missed_task_cannot_be_taken(volunteer, worker_a, elder, alone, client):
    today = timezone.localdate()
    plan = weekly_call(
        worker_a,
        elder,
        alone,
        kind="company",
        responsible=Responsible.VOLUNTEER,
        worker_id=None,
        weekday=today.weekday(),
        starts_on=today - timedelta(days=7),
        today=today,
    )
    missed, todays = plan.tasks.order_by("due_on")[:2]
    assert missed.due_on < today == todays.due_on
    with pytest.raises(CareConflict):
        take_task(task_id=missed.pk, by=volunteer)
    with pytest.raises(CareConflict):  # nor taken on the way to done
        complete_task(task_id=missed.pk, by=volunteer, note="x", hours="1")
    api = APIClient()
    api.force_authenticate(volunteer)
    refused = api.post(f"/api/v1/care/volunteer-tasks/{missed.pk}/take/")
    assert refused.status_code == 409 and "missed" in refused.json()["detail"]
    client.force_login(volunteer)
    assert client.post(f"/care/volunteer/{missed.pk}/take/").status_code == 409
    missed.refresh_from_db()
    assert (missed.status, missed.assignee) == ("open", None)
    # Taken in time, it may still be recorded done late.
    take_task(task_id=todays.pk, by=volunteer)
    later = timezone.now() + timedelta(days=2)
    assert complete_task(task_id=todays.pk, by=volunteer, hours="1", now=later).is_done
