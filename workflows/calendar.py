"""SLA time arithmetic on the working calendar (工作日历).

Time limits come in three units (DESIGN §4): working hours (工作时) and working days (工作日)
count only the working periods of working days; calendar hours (自然时) are plain elapsed
time and are used for urgent cases.

Working days are converted to working time: ``n`` working days = ``n`` × the active
schedule's daily working time (7 h by default). So Monday 10:00 + 2 working days is
Wednesday 10:00, and half a working day is 3.5 working hours.

All datetimes are timezone-aware. Results are in ``settings.TIME_ZONE`` (Asia/Shanghai, which
has had no daylight saving time since 1991, so wall-clock and elapsed time agree).

For a batch, load the calendar once and pass it in; the module-level functions load their own
when none is given::

    calendar = WorkingCalendar.load()
    for step in steps:
        step.due_at = add_working_time(step.started_at, step.limit, calendar=calendar)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.caching import ProcessCache

from .models import DEFAULT_PERIODS, DEFAULT_WEEKEND_DAYS, CalendarDay, WorkSchedule

logger = logging.getLogger(__name__)

# Refuse limits above a year's worth of time (366 days of working time, or 366 calendar days):
# no real step has one, and it keeps every loop below bounded even with bad data.
MAX_LIMIT_DAYS = 366
# Stop looking for working time after this many calendar days (a calendar whose days are all
# holidays must fail loudly, not spin). Four years covers a maximal limit on any sane calendar.
MAX_SCAN_DAYS = 4 * 366
# working_time_between is for reports too; a span longer than this is bad data.
MAX_SPAN_DAYS = 10 * 366
# CalendarDay rows are loaded for a window around the first date asked about, then in chunks.
LOAD_BEFORE = timedelta(days=366)
LOAD_AFTER = timedelta(days=2 * 366)
LOAD_CHUNK = timedelta(days=366)

_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)


class LimitUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("工作时 working hours")
    WORKING_DAYS = "working_days", _("工作日 working days")
    CALENDAR_HOURS = "calendar_hours", _("自然时 calendar hours")


def _to_decimal(value: Decimal | float | int | str) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("a time amount is a number, not a bool")
    # str() first so 0.1 stays 0.1 rather than its binary expansion.
    result = value if isinstance(value, Decimal) else Decimal(str(value))
    if not result.is_finite():
        raise ValueError(f"a time amount must be finite, got {value!r}")
    return result


@dataclass(frozen=True)
class TimeLimit:
    """A step's time limit (处置时限), e.g. ``TimeLimit(Decimal(4), LimitUnit.WORKING_HOURS)``.

    ``amount`` is stored as a non-negative ``Decimal`` (floats are converted via ``str``);
    ``unit`` accepts a ``LimitUnit`` or its value. Raises ``ValueError`` on a negative or
    non-finite amount or an unknown unit.
    """

    amount: Decimal | float
    unit: LimitUnit

    def __post_init__(self) -> None:
        amount = _to_decimal(self.amount)
        if amount < 0:
            raise ValueError(f"a time limit cannot be negative, got {self.amount!r}")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "unit", LimitUnit(self.unit))

    def scaled(self, fraction: Decimal | float | str) -> TimeLimit:
        """This limit times ``fraction`` in the same unit, e.g. ``scaled("0.8")`` for the
        reminder point (催办) or ``scaled(2)`` for red escalation (督办)."""
        return TimeLimit(self.amount * _to_decimal(fraction), self.unit)

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.unit.label}"


def _hours(amount: Decimal) -> timedelta:
    micros = (amount * _MICROSECONDS_PER_HOUR).to_integral_value(rounding=ROUND_HALF_UP)
    return timedelta(microseconds=int(micros))


class WorkingCalendar:
    """The active schedule plus the holiday/make-up overrides, for many computations.

    Build with ``WorkingCalendar.load()`` (one query for the schedule, one for the calendar
    days of a window around ``around``; a date outside the window loads one more chunk), or
    directly with an in-memory schedule and days (then no query is ever made and ``days``
    is taken as complete). Not thread-safe; build one per task or request.
    """

    def __init__(
        self,
        *,
        schedule: WorkSchedule,
        days: Mapping[date, str] | None = None,
        tz: tzinfo | None = None,
        loaded_range: tuple[date, date] | None = None,
    ) -> None:
        self.tz = tz or timezone.get_default_timezone()
        self.periods: tuple[tuple[time, time], ...] = tuple(schedule.periods)
        self.weekend = schedule.weekend
        self.daily_working_time = schedule.daily_working_time
        if self.daily_working_time <= timedelta(0):
            raise ValueError(f"schedule {schedule} has no working time in a day")
        self._days: dict[date, str] = dict(days or {})
        # None: the days mapping is complete (in-memory calendar); else the loaded window.
        self._loaded: tuple[date, date] | None = loaded_range
        self._periods_of: dict[date, list[tuple[datetime, datetime]]] = {}

    @classmethod
    def load(cls, *, around: date | None = None) -> WorkingCalendar:
        """Load the active schedule and the calendar days near ``around`` (default: today).

        With no active schedule the defaults (09:00–12:00, 13:30–17:30, weekend 6,7) apply and
        a warning is logged: deadlines must still be computed while an admin fixes it.
        """
        schedule = WorkSchedule.objects.filter(is_active=True).first()
        if schedule is None:
            logger.warning("no active WorkSchedule; using the default working hours")
            (ms, me), (as_, ae) = DEFAULT_PERIODS
            schedule = WorkSchedule(
                name="default",
                morning_start=ms,
                morning_end=me,
                afternoon_start=as_,
                afternoon_end=ae,
                weekend_days=DEFAULT_WEEKEND_DAYS,
            )
        around = around or timezone.localdate()
        first, last = around - LOAD_BEFORE, around + LOAD_AFTER
        calendar = cls(schedule=schedule, loaded_range=(first, last))
        calendar._fetch(first, last)
        return calendar

    @classmethod
    def cached(cls, *, around: date | None = None) -> WorkingCalendar:
        """``load()``, reused in this process for up to ``CACHE_SECONDS`` and dropped at once
        when a schedule or calendar day is saved here (``invalidate_calendar``). Every intake
        and transition computes a deadline; two queries each for a table that changes a few
        times a year is not worth it. Another process sees an edit within the minute."""
        around = around or timezone.localdate()

        def covers(calendar: WorkingCalendar) -> bool:
            first, last = calendar._loaded or (around, around)
            return first <= around <= last

        return _calendar_cache.get(load=lambda: cls.load(around=around), usable=covers)

    def _fetch(self, first: date, last: date) -> None:
        rows = CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind")
        self._days.update(rows)

    def _ensure_loaded(self, day: date) -> None:
        if self._loaded is None:
            return
        first, last = self._loaded
        # Load a chunk past the date asked about: callers walk forward (or back) day by day.
        if day < first:
            new_first = day - LOAD_CHUNK
            self._fetch(new_first, first - timedelta(days=1))
            first = new_first
        elif day > last:
            new_last = day + LOAD_CHUNK
            self._fetch(last + timedelta(days=1), new_last)
            last = new_last
        self._loaded = (first, last)

    def is_working_day(self, day: date) -> bool:
        """True if ``day`` is worked: a make-up day, or a non-weekend day that is no holiday."""
        self._ensure_loaded(day)
        kind = self._days.get(day)
        if kind == CalendarDay.Kind.HOLIDAY:
            return False
        if kind == CalendarDay.Kind.WORKDAY:
            return True
        return day.isoweekday() not in self.weekend

    def working_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The aware (start, end) working periods of ``day``; empty on a day off. Kept per
        day: an SLA scan asks for the same few days some 130,000 times."""
        periods = self._periods_of.get(day)
        if periods is None:
            periods = self._periods_of[day] = (
                [
                    (
                        datetime.combine(day, s, tzinfo=self.tz),
                        datetime.combine(day, e, tzinfo=self.tz),
                    )
                    for s, e in self.periods
                ]
                if self.is_working_day(day)
                else []
            )
        return periods

    def duration(self, limit: TimeLimit) -> timedelta:
        """The limit as a duration: working time for working units, elapsed time for
        calendar hours. Raises ``ValueError`` above ``MAX_LIMIT_DAYS`` days' worth."""
        if limit.unit == LimitUnit.CALENDAR_HOURS:
            hours, cap = limit.amount, Decimal(MAX_LIMIT_DAYS * 24)
        else:
            micros_per_day = self.daily_working_time // timedelta(microseconds=1)
            daily_hours = Decimal(micros_per_day) / _MICROSECONDS_PER_HOUR
            hours = limit.amount
            if limit.unit == LimitUnit.WORKING_DAYS:
                hours = limit.amount * daily_hours
            cap = MAX_LIMIT_DAYS * daily_hours
        if hours > cap:
            raise ValueError(f"time limit {limit} exceeds {MAX_LIMIT_DAYS} days")
        return _hours(hours)

    def _local(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            raise ValueError(f"a timezone-aware datetime is required, got {value!r}")
        return value.astimezone(self.tz)

    def add(self, start: datetime, limit: TimeLimit) -> datetime:
        """See ``add_working_time``."""
        start = self._local(start)
        remaining = self.duration(limit)
        if limit.unit == LimitUnit.CALENDAR_HOURS:
            # Through UTC so the result is exact elapsed time even across an offset change.
            return (start.astimezone(UTC) + remaining).astimezone(self.tz)
        return self._walk(start, remaining)

    def add_working(self, start: datetime, span: timedelta) -> datetime:
        """``span`` of working time after ``start``: ``add`` with a limit in working hours,
        given as a duration (the SLA scan's red points, some 70,000 in its worst minute,
        skip the round trip through decimal hours). Raises ``ValueError`` above
        ``MAX_LIMIT_DAYS`` working days' worth."""
        if span > self.daily_working_time * MAX_LIMIT_DAYS:
            raise ValueError(f"working time {span} exceeds {MAX_LIMIT_DAYS} days")
        return self._walk(self._local(start), span)

    def _walk(self, start: datetime, remaining: timedelta) -> datetime:
        """The moment ``remaining`` working time after ``start`` (local)."""
        if not remaining:
            return start
        day = start.date()
        for _i in range(MAX_SCAN_DAYS):
            for period_start, period_end in self.working_periods(day):
                begin = max(period_start, start)
                if begin >= period_end:
                    continue
                available = period_end - begin
                # "<=": a deadline that ends exactly at a period's end stays there (17:30
                # today), rather than moving to the next period's start (09:00 tomorrow).
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"no working time found within {MAX_SCAN_DAYS} days of {start}")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """See ``working_time_between``."""
        start, end = self._local(start), self._local(end)
        if end <= start:
            return timedelta(0)
        if end - start > timedelta(days=MAX_SPAN_DAYS):
            raise ValueError(f"span {start} – {end} exceeds {MAX_SPAN_DAYS} days")
        total = timedelta(0)
        day, last = start.date(), end.date()
        while day <= last:
            for period_start, period_end in self.working_periods(day):
                overlap = min(period_end, end) - max(period_start, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total


def add_working_time(
    start: datetime, limit: TimeLimit, *, calendar: WorkingCalendar | None = None
) -> datetime:
    """The deadline ``limit`` after ``start``, as an aware datetime in ``settings.TIME_ZONE``.

    - Calendar hours: ``start`` + the plain duration; the calendar is ignored.
    - Working hours: counted only inside working periods of working days. A start outside
      working time (night, lunch, weekend, holiday) begins counting at the next period; a
      deadline ending exactly at a period's end stays at that end.
    - Working days: ``amount`` × the schedule's daily working time, counted as working hours.
    - A zero limit returns ``start`` itself.

    Raises ``ValueError`` for a naive ``start``, a limit above ``MAX_LIMIT_DAYS`` days' worth,
    or a calendar with no working time within ``MAX_SCAN_DAYS`` days.
    """
    calendar = calendar or WorkingCalendar.cached(around=_local_date(start))
    return calendar.add(start, limit)


def working_time_between(
    start: datetime, end: datetime, *, calendar: WorkingCalendar | None = None
) -> timedelta:
    """Working time elapsed from ``start`` to ``end`` (zero if ``end`` is not after ``start``).

    The inverse of ``add_working_time`` for working units:
    ``working_time_between(s, add_working_time(s, limit)) == calendar.duration(limit)``. Use it
    for "80 % of the limit used" checks and reports; for calendar-hour limits use plain
    ``end - start``. Raises ``ValueError`` for naive datetimes or a span above
    ``MAX_SPAN_DAYS`` days.
    """
    calendar = calendar or WorkingCalendar.cached(around=_local_date(start))
    return calendar.between(start, end)


def _local_date(value: datetime) -> date | None:
    # The default zone, not the request's active one: the calendar is the office's.
    if timezone.is_naive(value):
        return None  # WorkingCalendar.add/between raise the clear error
    return value.astimezone(timezone.get_default_timezone()).date()


@transaction.atomic
def activate_work_schedule(*, schedule_id: int) -> WorkSchedule:
    """Make one schedule the active one and deactivate the others, in one transaction.

    Deadlines already stored keep their values; only new computations use the new schedule.
    Raises ``WorkSchedule.DoesNotExist`` for an unknown id.
    """
    schedule = WorkSchedule.objects.select_for_update().get(pk=schedule_id)
    # Deactivate first: the partial unique constraint allows one active row at any moment.
    WorkSchedule.objects.filter(is_active=True).exclude(pk=schedule.pk).update(is_active=False)
    if not schedule.is_active:
        schedule.is_active = True
        schedule.save(update_fields=["is_active"])
    return schedule


CACHE_SECONDS = 60
_calendar_cache: ProcessCache[WorkingCalendar] = ProcessCache(
    WorkingCalendar.load, seconds=CACHE_SECONDS
)
# Forget the cached calendar (connected to schedule and calendar-day saves/deletes).
invalidate_calendar = _calendar_cache.invalidate
