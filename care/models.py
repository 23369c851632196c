"""Care plans, their tasks, volunteers and social organisations (DESIGN §8, issue 15).

A ``CarePlan`` turns a resident's service tag into dated ``CareTask`` rows (a weekly
check-in call, a monthly home visit, a medication reminder …) for a named party: a grid or
functional worker, the community's volunteers, or a social organisation (社会组织). Tasks
are rows, not timers: the plan writes them ahead (``services.generate_tasks``), a missed one
is simply a row past its day and not done. Volunteer hours are the ``hours`` of the tasks a
volunteer did; the ledgers (台账) are read from these rows and from visits and cases, never
typed again (``ledgers``).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from grids.models import Community, District, GridCell
from residents.models import Resident, Tag, Visit


class SocialOrganisation(models.Model):
    """社会组织: a party (an elder-care NGO, a social-work station …) that may take service
    tasks in the communities it is admitted to. Its volunteers act for it."""

    name = models.CharField(_("name"), max_length=64)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    communities = models.ManyToManyField(
        Community, related_name="social_organisations", verbose_name=_("communities served")
    )
    phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("social organisation (社会组织)")
        verbose_name_plural = _("social organisations (社会组织)")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    """A volunteer's membership (志愿者): the organisation their hours count for (none: an
    independent volunteer of the community). Where they serve is their assignment."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer"
    )
    organisation = models.ForeignKey(
        SocialOrganisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteers",
        verbose_name=_("social organisation"),
    )

    class Meta:
        verbose_name = _("volunteer (志愿者)")
        verbose_name_plural = _("volunteers (志愿者)")

    def __str__(self) -> str:
        return str(self.user)


class CareKind(models.TextChoices):
    CALL = "call", _("check-in call (电话问候)")
    VISIT = "visit", _("home visit (上门探访)")
    MEDICATION = "medication", _("medication reminder (用药提醒)")
    COMPANY = "company", _("company and help at home (陪伴助老)")


class Responsible(models.TextChoices):
    WORKER = "worker", _("grid worker (网格员)")
    FUNCTIONAL = "functional", _("functional worker (功能性网格员)")
    VOLUNTEER = "volunteer", _("volunteers of the community (志愿者)")
    ORGANISATION = "organisation", _("social organisation (社会组织)")


# Tasks any volunteer of the community (or of the organisation) may take.
VOLUNTEER_KINDS = (Responsible.VOLUNTEER, Responsible.ORGANISATION)


class Frequency(models.TextChoices):
    DAILY = "daily", _("every day")
    WEEKLY = "weekly", _("every week")
    MONTHLY = "monthly", _("every month")


class CarePlan(models.Model):
    """关爱计划: what is done for a resident with a service tag, by whom, how often.

    ``weekday`` (0 = Monday) places a weekly task, ``day_of_month`` a monthly one (31: the
    month's last day, whatever its length). ``move_off_holidays``: a task falling on a day
    the working calendar says is not worked moves to the last working day before it (never
    after: a resident is not left longer than planned); a call or a reminder keeps its day,
    since a resident needs it on a holiday too.
    """

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="care_plans", verbose_name=_("resident")
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.PROTECT, related_name="+", verbose_name=_("service tag")
    )
    kind = models.CharField(_("what"), max_length=12, choices=CareKind.choices)
    note = models.CharField(_("details"), max_length=200, blank=True)
    responsible = models.CharField(_("who"), max_length=12, choices=Responsible.choices)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_plans",
        verbose_name=_("worker"),
    )
    organisation = models.ForeignKey(
        SocialOrganisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_plans",
        verbose_name=_("social organisation"),
    )
    frequency = models.CharField(_("how often"), max_length=8, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    move_off_holidays = models.BooleanField(_("move off holidays"), default=False)
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    # Tasks exist up to this day (services.generate_tasks writes ahead, a daily sweep extends).
    generated_through = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care plan (关爱计划)")
        verbose_name_plural = _("care plans (关爱计划)")
        ordering = ["resident", "kind"]
        constraints = [
            models.CheckConstraint(
                name="care_plan_has_its_day",
                condition=Q(frequency="daily")
                | Q(frequency="weekly", weekday__lte=6)
                | Q(frequency="monthly", day_of_month__gte=1, day_of_month__lte=31),
            ),
            models.CheckConstraint(
                name="care_plan_names_who",
                condition=Q(responsible__in=["worker", "functional"], worker__isnull=False)
                | Q(responsible="organisation", organisation__isnull=False)
                | Q(responsible="volunteer"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_kind_display()} · {self.get_frequency_display()}"

    def is_running(self, on: date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    TAKEN = "taken", _("taken by a volunteer")
    DONE = "done", _("done")


class CareTask(models.Model):
    """One dated piece of a plan (关爱任务). ``scheduled_on`` is the plan's day, ``due_on``
    the day it is due (moved off a holiday where the plan says so). ``assignee`` is the
    worker of the plan, or the volunteer who took it. Past ``due_on`` and not done it is
    overdue to the assignee; ``CARE_GRACE_DAYS`` later also to the community's overseers.
    ``cell`` is the resident's, copied for scoping and the ledgers."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="tasks")
    cell = models.ForeignKey(GridCell, on_delete=models.PROTECT, related_name="+")
    scheduled_on = models.DateField(_("planned for"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_tasks",
        verbose_name=_("assignee"),
    )
    organisation = models.ForeignKey(
        SocialOrganisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("social organisation"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    hours = models.DecimalField(
        _("volunteer hours (志愿服务时长)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("care task (关爱任务)")
        verbose_name_plural = _("care tasks (关爱任务)")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "scheduled_on"], name="care_task_once"),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"], name="care_task_assignee"),
            models.Index(fields=["cell", "status", "due_on"], name="care_task_cell"),
            models.Index(fields=["cell", "done_at"], name="care_task_cell_done"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.due_on}"

    @property
    def is_done(self) -> bool:
        return self.status == TaskStatus.DONE

    def is_overdue(self, today: date | None = None) -> bool:
        return not self.is_done and self.due_on < (today or timezone.localdate())
