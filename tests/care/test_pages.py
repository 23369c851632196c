"""The care lists in a constant number of queries (two data sizes), and the missed tasks on
street staff's care page after the grace period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ..factories import HouseholdFactory, ResidentFactory
from .conftest import weekly_call

pytestmark = pytest.mark.django_db


def more_elders(worker, alone, cell, n, **plan):
    for i in range(n):
        household = HouseholdFactory(cell=cell, address=f"幸福路{i}号院2号楼")
        resident = ResidentFactory(household=household, tags=[alone])
        weekly_call(worker, resident, alone, **plan)


@pytest.mark.parametrize("who", ["worker_a", "street_staff"])
def test_the_care_page_in_constant_queries(
    request, who, worker_a, elder, alone, territory, client, django_assert_max_num_queries
):
    today = timezone.localdate()
    past = {"starts_on": today - timedelta(days=20), "today": today, "weekday": today.weekday()}
    weekly_call(worker_a, elder, alone, **past)
    unplanned = HouseholdFactory(cell=territory.cell_a)
    ResidentFactory(household=unplanned, tags=[alone])  # no plan yet: listed
    client.force_login(request.getfixturevalue(who))
    client.get("/care/")
    with django_assert_max_num_queries(25) as few:
        page = client.get("/care/")
    assert page.status_code == 200
    more_elders(worker_a, alone, territory.cell_a, 4, **past)
    ResidentFactory(household=HouseholdFactory(cell=territory.cell_a), tags=[alone])
    ResidentFactory(household=unplanned, tags=[alone])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/care/")
    text = page.content.decode()
    assert text.count('data-testid="plan"') == 5
    # Missed past the grace period: the street's staff see them; the cell worker sees their
    # own in their task list instead.
    assert text.count('data-testid="missed-task"') == (10 if who == "street_staff" else 0)


def test_the_volunteer_list_and_api_in_constant_queries(
    volunteer, worker_a, alone, territory, client, django_assert_max_num_queries
):
    today = timezone.localdate()
    plan = {
        "kind": "company",
        "responsible": "volunteer",
        "worker_id": None,
        "starts_on": today,
        "today": today,
        "weekday": today.weekday(),
    }
    more_elders(worker_a, alone, territory.cell_a, 1, **plan)
    client.force_login(volunteer)
    for url in ("/care/volunteer/", "/api/v1/care/volunteer-tasks/"):
        client.get(url)
        with django_assert_max_num_queries(15) as few:
            client.get(url)
        counts = len(few.captured_queries)
        more_elders(worker_a, alone, territory.cell_a, 5, **plan)
        with django_assert_max_num_queries(counts):
            response = client.get(url)
        assert response.status_code == 200
