"""The clocks of a case (时限): each step's deadline on the working calendar (DESIGN §4).

A case is in one time-limited step at a time (``STEP_OF_STATUS``); ``start_step`` starts the
step's clock from its category's limit, and the SLA scanner (``workflows.sla``) acts on the
marks it sets (``due_at``, ``remind_at``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from cases.models import Case, CaseStatus, Category

from .calendar import LimitUnit, TimeLimit, WorkingCalendar

S = CaseStatus
# The time-limited step (Category.limit_for) a case is in while in each state. Suspended,
# rejected and closed cases have no running deadline.
STEP_OF_STATUS = {
    S.COLLECTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "handle",
    S.HANDLING: "handle",
    S.FEEDBACK: "verify",
}
REMIND_FRACTION = "0.8"


def step_deadline(
    *,
    category: Category,
    priority: str,
    step: str,
    start: datetime,
    calendar: WorkingCalendar | None = None,
) -> tuple[datetime, datetime]:
    """``(due_at, remind_at)`` of ``step`` started at ``start``: the category's limit for the
    priority on the working calendar (urgent: calendar hours), and 80 % of it (催办)."""
    amount, unit = category.limit_for(step, priority)
    limit = TimeLimit(amount, unit)
    calendar = calendar or WorkingCalendar.cached(around=timezone.localdate(start))
    return calendar.add(start, limit), calendar.add(start, limit.scaled(REMIND_FRACTION))


def reminder_point(
    *, start: datetime, due: datetime, unit: str, calendar: WorkingCalendar | None = None
) -> datetime:
    """催办 point of a step running from ``start`` to ``due``: 80 % of the time between them,
    in working time for working-hour/day limits, in elapsed time for urgent ones."""
    if unit == LimitUnit.CALENDAR_HOURS:
        return start + (due - start) * float(REMIND_FRACTION)
    calendar = calendar or WorkingCalendar.cached(around=timezone.localdate(start))
    hours = Decimal(calendar.between(start, due).total_seconds()) / 3600
    return calendar.add(start, TimeLimit(hours, LimitUnit.WORKING_HOURS).scaled(REMIND_FRACTION))


def start_step(case: Case, *, now: datetime) -> None:
    """Start the clock of the step ``case.status`` is in: reset overdue and escalation."""
    step = STEP_OF_STATUS.get(case.status)
    case.step_started_at = now
    case.overdue = False
    case.escalation_level = 0
    case.reminded_for = case.red_at = None  # the SLA scanner's marks are per step
    case.requested_due_at = None
    if step is None:
        case.due_at = case.remind_at = None
    else:
        case.due_at, case.remind_at = step_deadline(
            category=case.category, priority=case.priority, step=step, start=now
        )
