"""The worker's day: one list ordered by urgency — verifications assigned to them, their
reports rejected today, households due a visit, open cases of their cells near the deadline —
and a history tab for what is finished; a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseStatus
from cases.today import Kind, history, task_list
from residents.models import Tag, Visit

from ..factories import ResidentFactory
from .personas import act, case_in, new_case

pytestmark = pytest.mark.django_db


def due_in(case: Case, delta: timedelta) -> Case:
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() + delta)
    case.refresh_from_db()
    return case


@pytest.fixture
def day(cast):
    """Everything a worker of cell A meets, each kind once, plus what must stay off."""
    me = cast.reporter
    to_verify = due_in(case_in(cast, CaseStatus.FEEDBACK), timedelta(hours=30))
    assert to_verify.verifier == me
    rejected = act(cast, "reject", new_case(cast), reason="不属于受理范围")
    closed = case_in(cast, CaseStatus.CLOSED)
    soon = due_in(act(cast, "accept", new_case(cast)), timedelta(hours=2))
    overdue = due_in(act(cast, "accept", new_case(cast)), -timedelta(hours=1))
    later = due_in(act(cast, "accept", new_case(cast)), timedelta(days=5))
    resident = ResidentFactory(household__cell=cast.territory.cell_a)
    resident.tags.add(Tag.objects.get(code="elderly_alone"))
    return {
        "me": me,
        "verify": to_verify,
        "rejected": rejected,
        "closed": closed,
        "soon": soon,
        "overdue": overdue,
        "later": later,
        "household": resident.household,
    }


def test_one_list_most_urgent_first(day):
    tasks = task_list(day["me"])
    shown = [(t.kind, t.case.pk if t.case else t.visit.household.pk) for t in tasks]
    assert shown[0] == (Kind.DEADLINE, day["overdue"].pk)  # already late
    # Due now: the rejected report (read the reason) and the never-visited household.
    assert set(shown[1:3]) == {
        (Kind.REJECTED, day["rejected"].pk),
        (Kind.VISIT, day["household"].pk),
    }
    assert shown[3:] == [(Kind.DEADLINE, day["soon"].pk), (Kind.VERIFY, day["verify"].pk)]
    rejected = next(t for t in tasks if t.kind == Kind.REJECTED)
    assert rejected.reason == "不属于受理范围"
    # Tomorrow, the rejection is yesterday's news: in the history tab only.
    tomorrow = task_list(day["me"], now=timezone.now() + timedelta(days=1))
    assert all(t.kind != Kind.REJECTED for t in tomorrow)
    assert day["later"].pk not in {t.case.pk for t in tasks if t.case}  # days away


def test_finished_work_is_in_the_history_tab(day, as_user):
    done = history(day["me"])
    assert {c.pk for c in done.reports} >= {day["closed"].pk, day["rejected"].pk}
    assert day["closed"].number not in as_user(day["me"]).get(reverse("home")).content.decode()
    page = as_user(day["me"]).get(reverse("home") + "?tab=history").content.decode()
    assert day["closed"].number in page
    assert 'data-testid="task"' not in page


def test_a_visit_moves_the_household_to_history(day, as_user):
    client = as_user(day["me"])
    url = reverse("household-visited", args=[day["household"].pk])
    assert client.post(url, {"note": "一切正常"}, HTTP_HX_REQUEST="true").status_code == 200
    assert all(t.kind != Kind.VISIT for t in task_list(day["me"]))
    page = client.get(reverse("home") + "?tab=history").content.decode()
    assert "一切正常" in page and 'data-testid="visit-history"' in page
    assert Visit.objects.get().worker == day["me"]


def test_the_map_gets_the_tasks_cases_as_markers(day, as_user):
    page = as_user(day["me"]).get(reverse("home")).content.decode()
    assert 'id="task-markers"' in page and day["soon"].number in page
    assert 'data-locate="1"' in page  # the worker's own position


def test_home_and_history_query_counts_do_not_grow(cast, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(cast.reporter)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    def more(n: int) -> None:
        for _ in range(n):
            due_in(act(cast, "accept", new_case(cast)), timedelta(hours=1))
            act(cast, "reject", new_case(cast), reason="不属于受理范围")
            resident = ResidentFactory(household__cell=cast.territory.cell_a)
            resident.tags.add(Tag.objects.get(code="elderly_alone"))

    more(2)
    small = count(reverse("home")), count(reverse("home") + "?tab=history")
    more(12)
    assert (count(reverse("home")), count(reverse("home") + "?tab=history")) == small


def test_case_tasks_show_their_report_photo_as_a_thumbnail(cast, as_user):
    from cases.services import create_case

    from .personas import POINT_A, photo

    case = create_case(
        by=cast.reporter,
        title="井盖丢失",
        description="人行道上水井盖丢失",
        category_code="C0101",
        lon=POINT_A[0],
        lat=POINT_A[1],
        photos=[photo()],
    )
    due_in(act(cast, "accept", case), timedelta(hours=1))
    (task,) = task_list(cast.reporter)
    assert task.photo == case.attachments.get()
    page = as_user(cast.reporter).get(reverse("home")).content.decode()
    assert f"/cases/{case.pk}/photos/{task.photo.pk}/thumbnail/" in page
