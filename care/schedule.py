"""The days a care plan falls on (pure date arithmetic; ``services.generate_tasks`` writes them).

Weekly plans fall on their weekday, monthly ones on their day of the month, clamped to the
month's last day (a plan "on the 31st" is due on 30 April and on 28 or 29 February, and
never skips a month). A plan that moves off holidays is due on the last working day before a
day the working calendar (``workflows.calendar``: weekends, holidays, make-up working days)
says is not worked — earlier, never later, so the resident is not left longer than planned.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Iterator
from datetime import date, timedelta

from workflows.calendar import WorkingCalendar

from .models import CarePlan, Frequency

# Look back at most this far for a working day (the longest Chinese holiday is 8 days).
MAX_MOVE_DAYS = 31


def month_day(year: int, month: int, day: int) -> date:
    """``day`` of the month, or the month's last day when it has fewer."""
    return date(year, month, min(day, month_calendar.monthrange(year, month)[1]))


def planned_days(plan: CarePlan, first: date, last: date) -> Iterator[date]:
    """The plan's days from ``first`` to ``last`` (both included), within its own dates."""
    first = max(first, plan.starts_on)
    if plan.ends_on is not None:
        last = min(last, plan.ends_on)
    if first > last:
        return
    if plan.frequency == Frequency.DAILY:
        day = first
        while day <= last:
            yield day
            day += timedelta(days=1)
    elif plan.frequency == Frequency.WEEKLY:
        day = first + timedelta(days=(plan.weekday - first.weekday()) % 7)
        while day <= last:
            yield day
            day += timedelta(days=7)
    else:
        year, month = first.year, first.month
        while True:
            day = month_day(year, month, plan.day_of_month)
            if day > last:
                return
            if day >= first:
                yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def due_day(plan: CarePlan, day: date, calendar: WorkingCalendar) -> date:
    """When the task planned for ``day`` is due: ``day`` itself, or for a plan that moves
    off holidays the last working day before it (not before the plan starts)."""
    if not plan.move_off_holidays:
        return day
    due = day
    for _ in range(MAX_MOVE_DAYS):
        if calendar.is_working_day(due):
            return max(due, plan.starts_on)
        due -= timedelta(days=1)
    return day  # a month without a working day is bad calendar data: keep the plan's day
