"""SLA deadlines on the working calendar: nights, lunch, weekends, the 2026 holidays and
make-up days (from the data migration), exact period boundaries, and a constant query cost
for a batch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from workflows.calendar import (
    LimitUnit,
    TimeLimit,
    WorkingCalendar,
    activate_work_schedule,
    add_working_time,
    working_time_between,
)
from workflows.models import CalendarDay, WorkSchedule

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def hours(n) -> TimeLimit:
    return TimeLimit(Decimal(str(n)), LimitUnit.WORKING_HOURS)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar.load(around=date(2026, 6, 1))


@pytest.mark.parametrize(
    ("start", "limit", "due"),
    [
        # across a night: Mon 17:00–17:30 is 0.5 h, the other 1.5 h on Tuesday
        (at(2026, 3, 2, 17), hours(2), at(2026, 3, 3, 10, 30)),
        (at(2026, 3, 2, 16, 30), hours(2), at(2026, 3, 3, 10)),
        # across lunch
        (at(2026, 3, 2, 11), hours(2), at(2026, 3, 2, 14, 30)),
        # starting during lunch, at night, before work
        (at(2026, 3, 2, 12, 45), hours(1), at(2026, 3, 2, 14, 30)),
        (at(2026, 3, 2, 22), hours(1), at(2026, 3, 3, 10)),
        (at(2026, 3, 3, 6), hours(1), at(2026, 3, 3, 10)),
        # across a weekend: Fri 16:30 + 3 h → 1 h Friday, 2 h Monday
        (at(2026, 3, 6, 16, 30), hours(3), at(2026, 3, 9, 11)),
        # starting on a Sunday / a Saturday
        (at(2026, 3, 8, 15), hours(2), at(2026, 3, 9, 11)),
        (at(2026, 3, 7, 10), hours(4), at(2026, 3, 9, 14, 30)),
        # across National Day (Oct 1–7): Sep 30 17:00 + 1 h → 0.5 h left for Thu Oct 8
        (at(2026, 9, 30, 17), hours(1), at(2026, 10, 8, 9, 30)),
        # Oct 8–9 then the make-up Saturday Oct 10 is worked, not skipped to Monday
        (at(2026, 9, 30, 17), hours(15), at(2026, 10, 10, 9, 30)),
        (at(2026, 10, 9, 17), hours(1), at(2026, 10, 10, 9, 30)),
        # make-up Saturday before Spring Festival, then Feb 15–23 off
        (at(2026, 2, 13, 17), hours(1), at(2026, 2, 14, 9, 30)),
        (at(2026, 2, 14, 17), hours(1), at(2026, 2, 24, 9, 30)),
        # starting on the make-up Sunday Jan 4 (after 元旦 Jan 1–3)
        (at(2026, 1, 4, 10), hours(1), at(2026, 1, 4, 11)),
        # 劳动节 May 1–5; Sat May 9 worked
        (at(2026, 4, 30, 17, 30), hours(1), at(2026, 5, 6, 10)),
        (at(2026, 5, 8, 17), hours(1), at(2026, 5, 9, 9, 30)),
    ],
)
def test_working_hours_deadline(cal, start, limit, due):
    assert add_working_time(start, limit, calendar=cal) == due


def test_a_year_without_rows_follows_the_weekly_pattern(cal):
    # 2027 has no CalendarDay rows yet (an admin must enter them): Jan 1 2027 is a Friday and
    # counts as a working day until then.
    assert add_working_time(at(2026, 12, 31, 17), hours(1), calendar=cal) == at(2027, 1, 1, 9, 30)


@pytest.mark.parametrize(
    ("start", "limit", "due"),
    [
        # a start exactly at 12:00 begins counting at 13:30
        (at(2026, 3, 2, 12), hours(1), at(2026, 3, 2, 14, 30)),
        # a deadline landing exactly on a period's end stays there
        (at(2026, 3, 2, 16, 30), hours(1), at(2026, 3, 2, 17, 30)),
        (at(2026, 3, 2, 9), hours(7), at(2026, 3, 2, 17, 30)),
        (at(2026, 3, 2, 9), hours(3), at(2026, 3, 2, 12)),
        # a start exactly at the end of the day counts from the next morning
        (at(2026, 3, 2, 17, 30), hours(1), at(2026, 3, 3, 10)),
        (at(2026, 3, 2, 13, 30), hours("0.5"), at(2026, 3, 2, 14)),
    ],
)
def test_exact_boundaries(cal, start, limit, due):
    assert add_working_time(start, limit, calendar=cal) == due


def test_working_days_are_daily_working_time(cal):
    two_days = TimeLimit(2, LimitUnit.WORKING_DAYS)
    assert add_working_time(at(2026, 3, 2, 10), two_days, calendar=cal) == at(2026, 3, 4, 10)
    # Friday + 1 working day → Monday, same time of day
    one_day = TimeLimit(1, LimitUnit.WORKING_DAYS)
    assert add_working_time(at(2026, 3, 6, 15), one_day, calendar=cal) == at(2026, 3, 9, 15)
    # before National Day: Sep 30 10:00 + 3 working days → Oct 8, 9, then make-up Sat Oct 10
    three = TimeLimit(3, LimitUnit.WORKING_DAYS)
    assert add_working_time(at(2026, 9, 30, 10), three, calendar=cal) == at(2026, 10, 10, 10)
    half = TimeLimit(Decimal("0.5"), LimitUnit.WORKING_DAYS)
    # 3.5 h: 09:00–12:00, then 13:30–14:00
    assert add_working_time(at(2026, 3, 2, 9), half, calendar=cal) == at(2026, 3, 2, 14)


def test_calendar_hours_ignore_the_calendar(cal):
    urgent = TimeLimit(4, LimitUnit.CALENDAR_HOURS)
    assert add_working_time(at(2026, 3, 7, 23), urgent, calendar=cal) == at(2026, 3, 8, 3)
    assert add_working_time(at(2026, 10, 1, 12), urgent, calendar=cal) == at(2026, 10, 1, 16)


def test_results_are_aware_in_shanghai_whatever_the_input_zone(cal):
    start_utc = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    due = add_working_time(start_utc, hours(1), calendar=cal)
    assert due == at(2026, 3, 2, 10)
    assert due.tzinfo == SH
    assert due.utcoffset() == timedelta(hours=8)
    urgent = add_working_time(start_utc, TimeLimit(2, LimitUnit.CALENDAR_HOURS), calendar=cal)
    assert urgent == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert urgent.tzinfo == SH
    # same instant whichever zone the start was written in
    assert add_working_time(at(2026, 3, 2, 9), hours(1), calendar=cal) == due


def test_naive_datetimes_are_refused(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_time(datetime(2026, 3, 2, 9), hours(1), calendar=cal)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_time_between(datetime(2026, 3, 2, 9), at(2026, 3, 2, 10), calendar=cal)


def test_limits_over_a_year_are_refused(cal):
    with pytest.raises(ValueError, match="exceeds"):
        add_working_time(at(2026, 3, 2, 9), TimeLimit(367, LimitUnit.WORKING_DAYS), calendar=cal)
    with pytest.raises(ValueError, match="exceeds"):
        add_working_time(at(2026, 3, 2, 9), hours(366 * 7 + 1), calendar=cal)
    with pytest.raises(ValueError, match="exceeds"):
        add_working_time(at(2026, 3, 2, 9), TimeLimit(10_000, "calendar_hours"), calendar=cal)
    # a full year is still fine (and loads further calendar days as it goes)
    due = add_working_time(at(2026, 3, 2, 9), TimeLimit(366, LimitUnit.WORKING_DAYS), calendar=cal)
    assert due.year == 2027


def test_a_calendar_without_working_days_fails_instead_of_spinning():
    schedule = WorkSchedule(weekend_days="1,2,3,4,5,6,7")
    calendar = WorkingCalendar(schedule=schedule, days={})
    with pytest.raises(ValueError, match="no working time"):
        calendar.add(at(2026, 3, 2, 9), hours(1))


def test_time_limit_validation_and_scaling():
    limit = TimeLimit(4.2, LimitUnit.WORKING_HOURS)
    assert limit.amount == Decimal("4.2")
    assert limit.scaled(0.8) == TimeLimit(Decimal("3.36"), LimitUnit.WORKING_HOURS)
    assert TimeLimit(2, "working_days").unit is LimitUnit.WORKING_DAYS
    with pytest.raises(ValueError):
        TimeLimit(-1, LimitUnit.WORKING_HOURS)
    with pytest.raises(ValueError):
        TimeLimit(1, "fortnights")
    with pytest.raises(ValueError):
        TimeLimit(float("nan"), LimitUnit.WORKING_HOURS)


def test_reminder_point_at_80_percent(cal):
    # 5 working hours from Mon 09:00 → due 15:30; 80 % = 4 h → 14:30
    limit = hours(5)
    start = at(2026, 3, 2, 9)
    assert add_working_time(start, limit, calendar=cal) == at(2026, 3, 2, 15, 30)
    assert add_working_time(start, limit.scaled("0.8"), calendar=cal) == at(2026, 3, 2, 14, 30)
    used = working_time_between(start, at(2026, 3, 2, 14, 30), calendar=cal)
    assert used == cal.duration(limit) * 0.8


def test_zero_limit_is_due_at_once(cal):
    start = at(2026, 3, 7, 22)  # a Saturday night
    assert add_working_time(start, hours(0), calendar=cal) == start


def test_working_time_between(cal):
    assert working_time_between(at(2026, 3, 2, 8), at(2026, 3, 2, 20), calendar=cal) == (
        timedelta(hours=7)
    )
    # Friday 17:00 to Monday 10:00 across a weekend: 0.5 h + 1 h
    assert working_time_between(at(2026, 3, 6, 17), at(2026, 3, 9, 10), calendar=cal) == (
        timedelta(hours=1.5)
    )
    # the whole National Day week counts nothing
    assert working_time_between(at(2026, 10, 1), at(2026, 10, 8), calendar=cal) == timedelta(0)
    # reversed span
    assert working_time_between(at(2026, 3, 3), at(2026, 3, 2), calendar=cal) == timedelta(0)


def test_between_inverts_add_for_many_starts(cal):
    """Property: elapsed working time from start to the deadline is the limit's duration, and
    the deadline is the earliest such moment (just before it, less has elapsed)."""
    limits = [
        hours("0.25"),
        hours(1),
        hours("3.5"),
        hours(7),
        hours(30),
        TimeLimit(Decimal("1.5"), LimitUnit.WORKING_DAYS),
        TimeLimit(10, LimitUnit.WORKING_DAYS),
    ]
    start = at(2025, 12, 28, 0, 7)
    step = timedelta(hours=7, minutes=41)  # odd step: hits nights, lunches, weekends, holidays
    for _i in range(200):
        for limit in limits:
            due = add_working_time(start, limit, calendar=cal)
            assert due > start
            assert cal.is_working_day(due.date())
            assert working_time_between(start, due, calendar=cal) == cal.duration(limit)
            before = due - timedelta(minutes=1)
            assert working_time_between(start, before, calendar=cal) < cal.duration(limit)
        start += step


def test_adding_working_time_as_a_duration_is_adding_the_limit(cal):
    """``add_working`` (the SLA scan's red points) lands where ``add`` with the same limit in
    working hours does, to the microsecond, and refuses what ``add`` refuses."""
    spans = [timedelta(0), timedelta(microseconds=1), timedelta(minutes=45, seconds=7)]
    spans += [timedelta(hours=h, microseconds=h * 333) for h in (1, 7, 8, 30, 500)]
    start = at(2025, 12, 28, 0, 7)
    for _i in range(150):
        for span in spans:
            limit = TimeLimit(
                Decimal(span // timedelta(microseconds=1)) / 3_600_000_000, LimitUnit.WORKING_HOURS
            )
            assert cal.add_working(start, span) == cal.add(start, limit)
        start += timedelta(hours=7, minutes=41, microseconds=13)
    with pytest.raises(ValueError, match="exceeds"):
        cal.add_working(start, cal.daily_working_time * 367)


def test_is_working_day_2026(cal):
    assert not cal.is_working_day(date(2026, 1, 1))
    assert cal.is_working_day(date(2026, 1, 4))  # Sunday, make-up
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday, make-up
    assert not cal.is_working_day(date(2026, 2, 23))  # Monday, 春节
    assert cal.is_working_day(date(2026, 2, 28))  # Saturday, make-up
    assert not cal.is_working_day(date(2026, 4, 6))  # Monday, 清明
    assert not cal.is_working_day(date(2026, 6, 19))  # Friday, 端午
    assert cal.is_working_day(date(2026, 9, 20))  # Sunday, make-up
    assert not cal.is_working_day(date(2026, 9, 25))  # Friday, 中秋
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday, make-up
    assert not cal.is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert cal.is_working_day(date(2026, 10, 12))


def test_admin_edits_are_picked_up_by_the_next_load():
    CalendarDay.objects.create(date=date(2026, 3, 2), kind=CalendarDay.Kind.HOLIDAY, name="测试")
    assert add_working_time(at(2026, 3, 2, 9), hours(1)) == at(2026, 3, 3, 10)


@pytest.mark.parametrize("n", [50, 500])
def test_a_batch_of_deadlines_costs_a_constant_number_of_queries(django_assert_num_queries, n):
    starts = [at(2026, 1, 1) + timedelta(hours=13 * i + 1) for i in range(n)]
    # 1 query for the schedule, 1 for the calendar days, whatever the batch size
    with django_assert_num_queries(2):
        calendar = WorkingCalendar.load(around=date(2026, 6, 1))
        for i, start in enumerate(starts):
            unit = [LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS, LimitUnit.CALENDAR_HOURS][
                i % 3
            ]
            add_working_time(start, TimeLimit(i % 9 + 1, unit), calendar=calendar)
            working_time_between(start, start + timedelta(days=3), calendar=calendar)


def test_dates_beyond_the_loaded_window_load_one_more_chunk(django_assert_num_queries):
    CalendarDay.objects.create(date=date(2030, 1, 2), kind=CalendarDay.Kind.HOLIDAY)
    CalendarDay.objects.create(date=date(2024, 10, 1), kind=CalendarDay.Kind.HOLIDAY)
    calendar = WorkingCalendar.load(around=date(2026, 6, 1))
    with django_assert_num_queries(1):
        for _i in range(20):
            assert calendar.is_working_day(date(2030, 1, 1))
            assert not calendar.is_working_day(date(2030, 1, 2))
    with django_assert_num_queries(1):
        assert not calendar.is_working_day(date(2024, 10, 1))
        assert calendar.is_working_day(date(2024, 9, 30))


def test_without_an_active_schedule_the_defaults_apply():
    WorkSchedule.objects.update(is_active=False)
    calendar = WorkingCalendar.load(around=date(2026, 6, 1))
    assert calendar.daily_working_time == timedelta(hours=7)
    assert calendar.add(at(2026, 3, 2, 17), hours(1)) == at(2026, 3, 3, 9, 30)


def test_the_active_schedule_drives_deadlines():
    late = WorkSchedule.objects.create(
        name="夏令时作息",
        morning_start="08:30",
        morning_end="12:00",
        afternoon_start="14:30",
        afternoon_end="18:00",
        weekend_days="7",
    )
    activate_work_schedule(schedule_id=late.pk)
    assert list(WorkSchedule.objects.filter(is_active=True)) == [late]
    calendar = WorkingCalendar.load(around=date(2026, 6, 1))
    assert calendar.daily_working_time == timedelta(hours=7)
    # Saturday is worked under this schedule; lunch is 12:00–14:30
    assert calendar.add(at(2026, 3, 7, 11), hours(2)) == at(2026, 3, 7, 15, 30)


def test_schedule_validation():
    active = WorkSchedule.objects.get(is_active=True)
    second = WorkSchedule(name="second", is_active=True)
    with pytest.raises(ValidationError) as err:
        second.full_clean()
    assert "is_active" in err.value.message_dict
    active.is_active = False
    with pytest.raises(ValidationError) as err:
        active.full_clean()
    assert "is_active" in err.value.message_dict
    bad = WorkSchedule(name="bad", morning_start="13:00", morning_end="12:00", weekend_days="8")
    with pytest.raises(ValidationError) as err:
        bad.full_clean()
    assert {"afternoon_end", "weekend_days"} <= set(err.value.message_dict)
    WorkSchedule(name="inactive spare").full_clean()
