"""The working calendar (工作日历) behind every SLA deadline.

``WorkSchedule`` says when a normal working day is worked (morning and afternoon periods) and
which ISO weekdays are the weekend; exactly one schedule is active. ``CalendarDay`` overrides
single dates: a statutory holiday (法定节假日) is not worked even on a weekday, a make-up
working day (调休上班) is worked even on a weekend. The arithmetic lives in
``workflows.calendar``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

DEFAULT_PERIODS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))
DEFAULT_WEEKEND_DAYS = "6,7"


def parse_weekend_days(value: str) -> frozenset[int]:
    """Parse ``"6,7"`` into ISO weekdays ``{6, 7}``; raise ``ValueError`` on anything else.

    An empty string means no weekend (every weekday is worked unless a holiday says otherwise).
    """
    days: set[int] = set()
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 7:
            raise ValueError(part)
        days.add(int(part))
    return frozenset(days)


def _period_length(start: time, end: time) -> timedelta:
    anchor = date(2000, 1, 3)  # any date: periods never cross midnight (clean() refuses it)
    return datetime.combine(anchor, end) - datetime.combine(anchor, start)


class WorkSchedule(models.Model):
    """作息时间 — the working periods of a normal working day, and the weekend.

    Exactly one schedule is active (a partial unique constraint allows at most one; ``clean()``
    refuses to leave none). Switch schedules with ``workflows.calendar.activate_work_schedule``
    (the admin's "make active" action), which swaps the flag in one transaction.
    """

    name = models.CharField(_("name"), max_length=100)
    morning_start = models.TimeField(_("morning start"), default=DEFAULT_PERIODS[0][0])
    morning_end = models.TimeField(_("morning end"), default=DEFAULT_PERIODS[0][1])
    afternoon_start = models.TimeField(_("afternoon start"), default=DEFAULT_PERIODS[1][0])
    afternoon_end = models.TimeField(_("afternoon end"), default=DEFAULT_PERIODS[1][1])
    weekend_days = models.CharField(
        _("weekend days"),
        max_length=20,
        default=DEFAULT_WEEKEND_DAYS,
        help_text=_("ISO weekdays not worked, comma-separated: 1 = Monday … 7 = Sunday."),
    )
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("work schedule (作息时间)")
        verbose_name_plural = _("work schedules (作息时间)")
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="workschedule_one_active",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def periods(self) -> tuple[tuple[time, time], tuple[time, time]]:
        """The two working periods of a working day, in order."""
        return (
            (self.morning_start, self.morning_end),
            (self.afternoon_start, self.afternoon_end),
        )

    @property
    def weekend(self) -> frozenset[int]:
        """ISO weekdays (1 = Monday) that are not worked unless a make-up day says so."""
        return parse_weekend_days(self.weekend_days)

    @property
    def daily_working_time(self) -> timedelta:
        """Working time in one working day (7 hours with the defaults)."""
        return sum((_period_length(s, e) for s, e in self.periods), timedelta())

    def clean(self) -> None:
        super().clean()
        errors: dict[str, ValidationError] = {}
        times = [self.morning_start, self.morning_end, self.afternoon_start, self.afternoon_end]
        if None not in times and not (
            self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end
        ):
            errors["afternoon_end"] = ValidationError(
                _(
                    "Working periods must be in order within one day: morning start < morning "
                    "end ≤ afternoon start < afternoon end."
                )
            )
        try:
            weekend = parse_weekend_days(self.weekend_days)
        except ValueError:
            errors["weekend_days"] = ValidationError(
                _("Give ISO weekdays 1–7 separated by commas, e.g. 6,7 for Saturday and Sunday.")
            )
        else:
            if len(weekend) == 7:
                errors["weekend_days"] = ValidationError(
                    _("At least one weekday must be a working day.")
                )
        others = WorkSchedule.objects.filter(is_active=True).exclude(pk=self.pk)
        if self.is_active and others.exists():
            errors["is_active"] = ValidationError(
                _(
                    "Another schedule is already active. Use the “make active” action to "
                    "switch schedules."
                )
            )
        elif not self.is_active and not others.exists():
            errors["is_active"] = ValidationError(
                _("Exactly one schedule must be active; this would leave none.")
            )
        if errors:
            raise ValidationError(errors)


class CalendarDay(models.Model):
    """日历 — one date that departs from the weekly pattern of the active schedule."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日 public holiday (not worked)")
        WORKDAY = "workday", _("调休上班 make-up working day (worked)")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(
        _("name"), max_length=100, blank=True, help_text=_("The holiday, e.g. 春节 or 国庆节.")
    )

    class Meta:
        verbose_name = _("calendar day (日历)")
        verbose_name_plural = _("calendar days (日历)")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()


class NotificationKind(models.TextChoices):
    ACTION_NEEDED = "action_needed", _("待办 action needed")
    REMINDER = "reminder", _("催办 reminder")
    OVERDUE = "overdue", _("超期 overdue")
    ESCALATION = "escalation", _("督办 escalation")
    DUPLICATE = "duplicate", _("疑似重复 possible duplicate")
    SATISFACTION = "satisfaction", _("满意度回访 satisfaction survey")


class Notification(models.Model):
    """An item in a user's in-app inbox (and, where they have an address, an email).

    ``dedupe_key`` makes sending idempotent: a task delivered twice, or a scanner run twice,
    finds the key taken and sends nothing more (e.g. ``"reminder:<case>:<version>"``).
    """

    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    message = models.TextField(_("message"))
    dedupe_key = models.CharField(
        max_length=120, unique=True, null=True, blank=True, editable=False
    )
    # Where the notice leads when it is about many cases (an SLA digest: a filtered list).
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set when what the notice asked for was done, by anyone (a step on its case), or when a
    # newer notice about the same case took its place: a done notice leaves the unread count.
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification (通知)")
        verbose_name_plural = _("notifications (通知)")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:40]}"

    @property
    def is_new(self) -> bool:
        return self.read_at is None and self.done_at is None


class SlaNotice(models.Model):
    """时限提醒 — one SLA occasion of one case (a reminder at 80 %, overdue, red), written by
    the scanner with the case's marks: the case's own record of it, shown in its timeline.

    The people it concerned hear of it in a digest per scan (one notification per person and
    kind: "32 cases in your charge became overdue"), not one notification per case and person;
    ``told`` is how many people that was. One row per case, kind and step (``version``); for
    a co-department's part (协办, ``department`` set), one per case, department and kind.
    """

    KINDS = (NotificationKind.REMINDER, NotificationKind.OVERDUE, NotificationKind.ESCALATION)

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="sla_notices", verbose_name=_("case")
    )
    department = models.ForeignKey(
        "grids.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("co-department's part (协办)"),
        db_index=False,  # sla_notice_department: most notices are the case's own
    )
    kind = models.CharField(_("kind"), max_length=20, choices=[(k.value, k.label) for k in KINDS])
    version = models.PositiveIntegerField(_("step (case version)"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    at = models.DateTimeField(_("at"))
    told = models.PositiveIntegerField(_("people told"), default=0)

    class Meta:
        verbose_name = _("SLA notice (时限提醒)")
        verbose_name_plural = _("SLA notices (时限提醒)")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "version"],
                condition=Q(department__isnull=True),
                name="sla_notice_once",
            ),
            models.UniqueConstraint(
                fields=["case", "department", "kind"],
                condition=Q(department__isnull=False),
                name="sla_part_notice_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["department"],
                name="sla_notice_department",
                condition=Q(department__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} v{self.version}"


class ResidentMessage(models.Model):
    """A message to a resident reporter or hotline caller about their case (by SMS, else
    email): received with the tracking code, accepted or not, with which department, closed
    with the rating link, reopened or not.

    The address is read from the case's contact when sending, so an erased contact is never
    written to; ``dedupe_key`` (case, occasion) makes sending idempotent, and ``sent_at`` is
    claimed before sending so two deliveries never both send.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("email")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="resident_messages"
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    body = models.TextField(_("message"))
    dedupe_key = models.CharField(max_length=120, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message to a resident (居民通知)")
        verbose_name_plural = _("messages to residents (居民通知)")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.channel}: {self.body[:40]}"


class Effect(models.Model):
    """An outbox row: something the loop owes somebody after a commit (DESIGN §4), written in
    the same transaction as what causes it and deleted in the same transaction as its
    delivery (``workflows.outbox``).

    ``kind`` names the handler and ``args`` its arguments: ``after_transition`` (auto-routing
    after accept and the notices of the next actor and of the resident), ``email`` (one
    notification's email), ``resident_message`` (one SMS/email to a resident). ``key`` makes
    recording idempotent; the handlers are idempotent too (dedupe keys, claimed rows), so a
    delivery repeated after a crash sends nothing twice.
    """

    class Kind(models.TextChoices):
        AFTER_TRANSITION = "after_transition", _("after a transition")
        EMAIL = "email", _("email")
        RESIDENT_MESSAGE = "resident_message", _("message to a resident")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True, editable=False)
    args = models.JSONField(default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("pending effect (待发送)")
        verbose_name_plural = _("pending effects (待发送)")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.key
