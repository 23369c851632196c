"""The clocks of a case (时限) on the working calendar (DESIGN §4), and the rules that keep
them honest (DESIGN §5: "clocks are never reset to hide delay").

A case is in one time-limited step at a time (``STEP_OF_STATUS``); ``start_step`` starts the
step's clock from its category's limit, and the SLA scanner (``workflows.sla``) acts on the
marks it sets: ``due_at`` and ``remind_at``, then ``reminded_for``, ``overdue``,
``escalation_level`` and ``red_at``. ``move_clock`` decides, at every transition, whether a
clock starts, runs on or stands still:

- **Total clock**: ``Case.created_at``, set at filing and never changed by any transition:
  a case's age, however often it was returned or suspended, is counted from it.
- **回退 return** does not touch the handling clock. It runs from the first dispatch through the
  return, the days back at the street and the next dispatch, with its marks: the new
  department gets the deadline the case already had (the resident's, not the department's),
  and an overdue case stays overdue, escalation included. A department that gets a case with
  little or no time left asks for an extension, which street staff approve on the record.
  While the case is back at the street, the street (or, for a case returned
  ``RETURNS_BEFORE_BINDING`` times, the district admins) are the ones reminded and warned.
- **挂账 suspension** stops the handling clock: its marks are kept in ``paused_clock`` and the
  suspension runs on its own clock, due at its review date (``review_at``, at most
  ``MAX_REVIEW_DAYS`` ahead), so the scanner escalates a suspension left past its review date
  like any overdue step. On resume the handling clock goes on where it stood: every mark moves
  later by the working time (elapsed time for urgent cases) the case was suspended, so the
  handler gets the time that was left, not a fresh limit, and an overdue case resumes overdue.
- Any other change of step (accept, dispatch, report, rework, reopen) starts the new step's
  clock from its category's limit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseStatus, Category
from cases.models.categories import MAX_EXTENSION_DAYS

from .calendar import LimitUnit, TimeLimit, WorkingCalendar

logger = logging.getLogger(__name__)

S = CaseStatus
# The time-limited step (Category.limit_for) a case is in while in each state. Rejected and
# closed cases have no running deadline; a suspended one runs to its review date.
STEP_OF_STATUS = {
    S.COLLECTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "handle",
    S.HANDLING: "handle",
    S.FEEDBACK: "verify",
}
REMIND_FRACTION = "0.8"
# A suspension's review date is at most this far ahead: long enough for a budget round or a
# court date, short enough that someone looks at the case again each quarter.
MAX_REVIEW_DAYS = 90
# The SLA marks of a step, as kept while the handling clock stands still.
CLOCK_MARKS = ("step_started_at", "due_at", "remind_at", "reminded_for", "red_at")
_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)


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
    """Start the clock of the step ``case.status`` is in: reset overdue and escalation. A
    suspension's clock runs to its review date (``case.review_at``), with no reminder."""
    step = STEP_OF_STATUS.get(case.status)
    case.step_started_at = now
    case.overdue = False
    case.escalation_level = 0
    case.reminded_for = case.red_at = None  # the SLA scanner's marks are per step
    case.requested_due_at = None
    if case.status == S.SUSPENDED:
        case.due_at, case.remind_at = case.review_at, None
    elif step is None:
        case.due_at = case.remind_at = None
    else:
        case.due_at, case.remind_at = step_deadline(
            category=case.category, priority=case.priority, step=step, start=now
        )


# --- the handling clock across return and suspension ------------------------------------------


def _keeps_running(case: Case, *, from_status: str) -> bool:
    """The handling clock runs on through a return and the dispatch after it (DESIGN §5)."""
    returned = from_status == S.DISPATCHED and case.status == S.ACCEPTED
    dispatched_again = (
        from_status == S.ACCEPTED and case.status == S.DISPATCHED and case.return_count > 0
    )
    return returned or dispatched_again


def move_clock(case: Case, *, from_status: str, now: datetime) -> dict:
    """Move the case's clock across a transition that brought it from ``from_status`` to
    ``case.status`` (already set); the module docstring gives the rules. Returns what the
    transition's event should record of it: the handling deadline a suspension stopped
    (``handling_due_at``), or the one a resume restarted (``due_at``)."""
    if case.status == S.SUSPENDED and from_status != S.SUSPENDED:
        case.paused_clock = stopped_clock(case)
        start_step(case, now=now)
        return {"handling_due_at": case.paused_clock["due_at"]}
    if from_status == S.SUSPENDED and case.status != S.SUSPENDED:
        if case.paused_clock is None:  # suspended before clocks were kept: a fresh limit
            start_step(case, now=now)
            return {"due_at": _iso(case.due_at)}
        marks = restarted_clock(case.paused_clock, stopped_at=case.step_started_at, now=now)
        for name, value in marks.items():
            setattr(case, name, value)
        case.paused_clock = None
        return {"due_at": _iso(case.due_at)}
    if _keeps_running(case, from_status=from_status):
        return {}
    if STEP_OF_STATUS.get(from_status) != STEP_OF_STATUS.get(case.status):
        start_step(case, now=now)
    return {}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def stopped_clock(case: Case) -> dict:
    """The handling clock's marks, to keep while it stands still (JSON: ISO times in UTC),
    with the unit its time runs in (``calendar_hours`` for urgent cases, else working
    time)."""
    _amount, unit = case.category.limit_for("handle", case.priority)
    return {
        **{name: _iso(getattr(case, name)) for name in CLOCK_MARKS},
        "overdue": case.overdue,
        "escalation_level": case.escalation_level,
        "unit": unit,
    }


def restarted_clock(
    stopped: dict, *, stopped_at: datetime, now: datetime, calendar: WorkingCalendar | None = None
) -> dict:
    """The marks of a clock ``stopped`` (``stopped_clock``) at ``stopped_at`` and going on at
    ``now``: every time mark moves later by the time that passed in between — working time on
    the working calendar, elapsed time for a clock in calendar hours — so the time left, the
    reminder and the red point stay where they were relative to the work; overdue and
    escalation come back as they were. Returns ``{field: value}`` for the case."""
    if stopped["unit"] == LimitUnit.CALENDAR_HOURS:
        stood = max(now - stopped_at, timedelta(0))

        def later(moment: datetime) -> datetime:
            return moment + stood

    else:
        calendar = calendar or WorkingCalendar.cached(around=timezone.localdate(now))
        worked = calendar.between(stopped_at, now) // timedelta(microseconds=1)
        stood_limit = TimeLimit(Decimal(worked) / _MICROSECONDS_PER_HOUR, LimitUnit.WORKING_HOURS)
        elapsed = max(now - stopped_at, timedelta(0))

        def later(moment: datetime) -> datetime:
            try:
                return calendar.add(moment, stood_limit)
            except ValueError:  # stood still for over a year of working time: absurd data
                logger.warning("clock restarted on calendar time", exc_info=True)
                return moment + elapsed

    marks = {
        name: None if stopped[name] is None else later(datetime.fromisoformat(stopped[name]))
        for name in CLOCK_MARKS
    }
    return {
        **marks,
        "overdue": stopped["overdue"],
        "escalation_level": stopped["escalation_level"],
    }


def suspended_time(case: Case, *, now: datetime) -> timedelta:
    """How long the case has been suspended (挂账) in all: the suspensions that ended, and the
    current one up to ``now``."""
    total = timedelta(seconds=case.suspended_seconds)
    if case.status == S.SUSPENDED:
        total += max(now - case.step_started_at, timedelta(0))
    return total


def check_review_date(review_at: datetime, *, now: datetime) -> None:
    """A suspension's review date must carry its time zone, lie after ``now`` and within
    ``MAX_REVIEW_DAYS``: ``ValidationError`` on ``review_at`` otherwise."""
    if timezone.is_naive(review_at):
        message = _("Give the review date with its time zone.")
    elif review_at <= now:
        message = _("Choose a review date after now.")
    elif review_at > now + timedelta(days=MAX_REVIEW_DAYS):
        message = _("Choose a review date within %(days)d days.") % {"days": MAX_REVIEW_DAYS}
    else:
        return
    raise ValidationError({"review_at": message})


def latest_extension(case: Case, *, now: datetime) -> datetime:
    """The latest deadline an extension (延期) may set: the category's ``max_extension_days``
    working days after the current deadline (after ``now`` once that has passed), and never
    more than ``MAX_EXTENSION_DAYS`` working days from ``now`` (extensions in a row do not add
    up past what the working calendar computes)."""
    calendar = WorkingCalendar.cached(around=timezone.localdate(now))
    start = max(filter(None, (case.due_at, now)))
    days = TimeLimit(case.category.max_extension_days, LimitUnit.WORKING_DAYS)
    horizon = TimeLimit(MAX_EXTENSION_DAYS, LimitUnit.WORKING_DAYS)
    return min(calendar.add(start, days), calendar.add(now, horizon))


def check_extension(case: Case, due_at: datetime, *, now: datetime) -> None:
    """An extension's deadline must carry its time zone, lie after the current deadline (and
    now) and not past ``latest_extension``: ``ValidationError`` on ``due_at`` otherwise."""
    if timezone.is_naive(due_at):
        raise ValidationError({"due_at": _("Give the new deadline with its time zone.")})
    if due_at <= max(filter(None, (case.due_at, now))):
        raise ValidationError({"due_at": _("Ask for a deadline later than the current one.")})
    latest = latest_extension(case, now=now)
    if due_at > latest:
        message = _(
            "An extension moves the deadline by at most %(days)d working days for this "
            "category: choose %(latest)s or earlier, or suspend the case."
        )
        params = {
            "days": case.category.max_extension_days,
            "latest": timezone.localtime(latest).strftime("%Y-%m-%d %H:%M"),
        }
        raise ValidationError({"due_at": message % params})
