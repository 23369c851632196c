"""A care task in its worker's one task list (cases.today), overdue once its day has passed,
and after the grace period also to the community's overseers (a community-wide worker,
street staff) — never to a cell worker next door."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from care.selectors import missed_for_community
from care.today import CARE, CARE_MISSED
from cases.today import task_list
from grids.models import Role

from ..factories import assigned_user
from .conftest import MONDAY, weekly_call

pytestmark = pytest.mark.django_db


def at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


def care_tasks(user, now, kind=CARE):
    return [t for t in task_list(user, now=now) if t.kind == kind]


@pytest.fixture
def plan(worker_a, elder, alone):
    return weekly_call(worker_a, elder, alone)


@pytest.fixture
def community_worker(territory):
    return assigned_user(Role.GRID_WORKER, "community", territory.community1, "community_a")


def test_todays_task_is_in_the_workers_list_and_tomorrows_is_not(plan, worker_a, worker_b):
    tasks = care_tasks(worker_a, at(MONDAY))
    assert [t.item.task.due_on for t in tasks] == [MONDAY]
    assert not tasks[0].item.overdue
    assert care_tasks(worker_a, at(MONDAY - timedelta(days=1))) == []
    assert care_tasks(worker_b, at(MONDAY)) == []


def test_a_missed_task_is_overdue_to_the_worker_the_next_day(plan, worker_a):
    (task,) = care_tasks(worker_a, at(MONDAY + timedelta(days=1)))
    assert task.item.overdue


def test_after_the_grace_period_the_community_sees_it(
    plan, worker_a, worker_b, community_worker, street_staff, staff2, settings
):
    settings.CARE_GRACE_DAYS = 2
    within = MONDAY + timedelta(days=2)
    after = MONDAY + timedelta(days=3)
    assert care_tasks(community_worker, at(within), CARE_MISSED) == []
    assert not missed_for_community(street_staff, today=within).exists()
    (seen,) = care_tasks(community_worker, at(after), CARE_MISSED)
    assert seen.item.task.assignee == worker_a
    assert list(missed_for_community(street_staff, today=after)) == [seen.item.task]
    # A cell worker next door, and the other street's staff, oversee none of it; the worker
    # sees it once, as their own.
    assert care_tasks(worker_b, at(after), CARE_MISSED) == []
    assert not missed_for_community(staff2, today=after).exists()
    assert care_tasks(worker_a, at(after), CARE_MISSED) == []
    assert len(care_tasks(worker_a, at(after))) == 1


def test_a_done_task_leaves_every_list(plan, worker_a, community_worker):
    from care.services import complete_task

    task = plan.tasks.get(due_on=MONDAY)
    complete_task(task_id=task.pk, by=worker_a, note="电话问候，身体不错")
    assert care_tasks(worker_a, at(MONDAY + timedelta(days=5))) == []
    assert care_tasks(community_worker, at(MONDAY + timedelta(days=5)), CARE_MISSED) == []


def test_the_home_page_shows_care_tasks_in_constant_queries(
    worker_a, elder, alone, client, django_assert_max_num_queries
):
    from ..factories import HouseholdFactory, ResidentFactory

    weekly_call(
        worker_a,
        elder,
        alone,
        starts_on=timezone.localdate(),
        today=timezone.localdate(),
        frequency="daily",
        weekday=None,
    )
    client.force_login(worker_a)
    client.get("/")  # warm the process caches (calendar, categories)
    with django_assert_max_num_queries(30) as few:
        page = client.get("/")
    assert page.status_code == 200 and "王秀英" in page.content.decode()
    for n in range(5):
        household = HouseholdFactory(cell=elder.cell, address=f"幸福路{n}号")
        other = ResidentFactory(household=household, tags=[alone])
        weekly_call(
            worker_a,
            other,
            alone,
            starts_on=timezone.localdate() - timedelta(days=9),
            today=timezone.localdate(),
            frequency="daily",
            weekday=None,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/")
    assert page.content.decode().count('data-kind="care"') == 20  # TASK_LIST_SIZE
