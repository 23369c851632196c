"""Care plans write their tasks on the right days: month ends, weekdays, holidays (moved to
the working day before for home visits, kept for calls), make-up working days, idempotent
generation and the daily sweep."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from care.models import CareKind, CarePlan, CareTask, Frequency, Responsible
from care.services import extend_plans, generate_tasks
from residents.models import Resident
from workflows.models import CalendarDay

from .conftest import weekly_call

pytestmark = pytest.mark.django_db


def days(plan):
    return list(plan.tasks.order_by("scheduled_on").values_list("scheduled_on", "due_on"))


def test_monthly_on_the_31st_falls_on_each_months_last_day(worker_a, elder, alone):
    plan = weekly_call(
        worker_a,
        elder,
        alone,
        frequency=Frequency.MONTHLY,
        weekday=None,
        day_of_month=31,
        starts_on=date(2027, 1, 1),
        today=date(2026, 12, 31),
    )
    generate_tasks(plan=plan, through=date(2028, 5, 1))
    planned = [s for s, _ in days(plan)]
    assert planned[:5] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]
    assert date(2028, 2, 29) in planned  # a leap year's February
    assert len(planned) == 16  # one a month, none skipped, none twice


def test_monthly_on_the_30th_in_february(worker_a, elder, alone):
    plan = weekly_call(
        worker_a,
        elder,
        alone,
        frequency=Frequency.MONTHLY,
        weekday=None,
        day_of_month=30,
        starts_on=date(2027, 2, 1),
        today=date(2027, 2, 1),
    )
    assert days(plan)[0][0] == date(2027, 2, 28)


def test_weekly_tasks_cross_the_month_end_on_their_weekday(worker_a, elder, alone):
    plan = weekly_call(
        worker_a, elder, alone, weekday=3, starts_on=date(2026, 11, 20), today=date(2026, 11, 20)
    )
    planned = [s for s, _ in days(plan)]
    assert planned[:3] == [date(2026, 11, 26), date(2026, 12, 3), date(2026, 12, 10)]
    assert all(d.weekday() == 3 for d in planned)


def holiday(day: date, kind=CalendarDay.Kind.HOLIDAY) -> None:
    CalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": "国庆节"})


def test_a_home_visit_on_a_holiday_moves_to_the_working_day_before(worker_a, elder, alone):
    # 国庆: 1–7 October 2027 off (a Friday to a Thursday); Saturday 9 October is worked.
    for d in range(1, 8):
        holiday(date(2027, 10, d))
    holiday(date(2027, 10, 9), CalendarDay.Kind.WORKDAY)
    plan = weekly_call(
        worker_a,
        elder,
        alone,
        kind=CareKind.VISIT,
        weekday=1,  # Tuesdays
        starts_on=date(2027, 9, 27),
        today=date(2027, 9, 27),
    )
    assert plan.move_off_holidays
    got = dict(days(plan))
    assert got[date(2027, 10, 5)] == date(2027, 9, 30)  # the Thursday before the break
    assert got[date(2027, 9, 28)] == date(2027, 9, 28)  # a working Tuesday stays


def test_a_weekend_visit_moves_to_friday_and_a_make_up_saturday_stays(worker_a, elder, alone):
    holiday(date(2027, 10, 9), CalendarDay.Kind.WORKDAY)
    plan = weekly_call(
        worker_a,
        elder,
        alone,
        kind=CareKind.VISIT,
        weekday=5,  # Saturdays
        starts_on=date(2027, 10, 1),
        today=date(2027, 10, 1),
    )
    got = dict(days(plan))
    assert got[date(2027, 10, 9)] == date(2027, 10, 9)  # 调休上班: worked
    assert got[date(2027, 10, 16)] == date(2027, 10, 15)


def test_a_call_keeps_its_holiday(worker_a, elder, alone):
    holiday(date(2027, 10, 5))
    plan = weekly_call(
        worker_a, elder, alone, weekday=1, starts_on=date(2027, 9, 27), today=date(2027, 9, 27)
    )
    assert not plan.move_off_holidays
    assert dict(days(plan))[date(2027, 10, 5)] == date(2027, 10, 5)


def test_generation_is_idempotent_and_the_sweep_keeps_the_horizon(worker_a, elder, alone):
    plan = weekly_call(worker_a, elder, alone)
    first = CareTask.objects.count()
    assert first == 5  # Mondays 2, 9, 16, 23, 30 November, through 3 December
    CarePlan.objects.filter(pk=plan.pk).update(generated_through=None)
    plan.refresh_from_db()
    generate_tasks(plan=plan, through=date(2026, 12, 3))
    assert CareTask.objects.count() == first
    # Through 1 January: the Mondays 7, 14, 21 and 28 December join, once.
    assert extend_plans(today=date(2026, 12, 1)) == 4
    assert extend_plans(today=date(2026, 12, 1)) == 0
    assert CareTask.objects.count() == first + 4


def test_the_plans_tasks_are_the_workers(worker_a, elder, alone):
    weekly_call(worker_a, elder, alone)
    assert set(CareTask.objects.values_list("assignee", "cell", "status")) == {
        (worker_a.pk, elder.cell_id, "open")
    }


def test_a_plan_needs_the_tag_a_serving_worker_and_its_day(worker_a, worker_b, elder, alone):
    other_tag = elder.tags.model.objects.get(code="child")
    with pytest.raises(ValidationError) as refused:
        weekly_call(worker_a, elder, other_tag, weekday=None, worker_id=worker_b.pk)
    assert set(refused.value.message_dict) == {"tag", "weekday", "worker"}
    assert not CarePlan.objects.exists()


def test_only_those_who_serve_the_resident_set_a_plan(worker_b, elder, alone):
    with pytest.raises(Resident.DoesNotExist):
        weekly_call(worker_b, elder, alone)


def test_an_organisation_plan_needs_an_organisation_of_the_community(
    worker_a, elder, alone, organisation, territory
):
    organisation.communities.set([territory.community2])
    with pytest.raises(ValidationError) as refused:
        weekly_call(
            worker_a,
            elder,
            alone,
            responsible=Responsible.ORGANISATION,
            organisation_id=organisation.pk,
        )
    assert set(refused.value.message_dict) == {"organisation"}
