"""Joint handling (吹哨报到, DESIGN §8): co-departments' parts, summonses, and the object-level
access a co-department or a summoned department gets to the one case it is part of.

- ``CasePart`` (协办): a co-department's part of a case whose lead (主办) is ``Case.department``:
  what is expected of it (``note``) and by when (``due_at``). Open until the co-department
  reports it (``report_part``) or street staff release it (``release_part``). The case moves to
  feedback only when the lead has reported and no part is open (``Case.open_parts`` counts the
  open ones, kept in the same transaction as the rows, under the case's row lock).
- ``Summons`` (吹哨): street staff call a department to the site, to arrive by ``arrive_by``
  (``Category.arrival_minutes`` after the summons). The department checks in (报到) with its
  handler's GPS fix (``distance_m`` from the case's point, ``in_cell``); the SLA scanner marks a
  summons with no check-in past ``arrive_by`` ``overdue`` (yellow, then red at twice the span),
  like an overdue step. ``Case.pending_summons`` counts those not checked in.
- ``CaseGroupObjectPermission``: django-guardian's direct-FK group permission for cases. Each
  department acts through a group (``department_groups``); ``view_case`` on a case lets the
  department's handlers see that case, and only it (``cases.selectors.case_scope_q``).

Every change of a part or a summons is made by a transition service and recorded on the
case's timeline (the event's ``payload["part"]`` / ``payload["summons"]``), so
``workflows.services.replay_parts`` rebuilds them from the events alone.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from grids.models import Department

from .case import Case, EscalationLevel


class PartStatus(models.TextChoices):
    OPEN = "open", _("协办中 open")
    REPORTED = "reported", _("已反馈 reported")
    RELEASED = "released", _("已解除 released")


class CasePart(models.Model):
    """协办: a co-department's part of a joint case (see the module docstring)."""

    Status = PartStatus

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parts")
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="case_parts",
        verbose_name=_("co-department (协办)"),
    )
    note = models.TextField(_("part (协办内容)"))
    due_at = models.DateTimeField(_("part due at"))
    status = models.CharField(
        _("status"), max_length=10, choices=PartStatus.choices, default=PartStatus.OPEN
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    done_at = models.DateTimeField(_("reported or released at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported or released by"),
    )
    done_note = models.TextField(_("report or release note"), blank=True)
    # Marks of the SLA scanner (workflows.sla), like a case step's: reminded at ``remind_at``
    # (80 % of the part's time), late and yellow past ``due_at``, red at ``red_at``.
    remind_at = models.DateTimeField(_("remind at (催办)"), null=True, blank=True)
    reminded = models.BooleanField(_("reminded"), default=False)
    overdue = models.BooleanField(_("late (逾期)"), default=False)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation (督办)"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    red_at = models.DateTimeField(_("red at"), null=True, blank=True)

    class Meta:
        verbose_name = _("co-department part (协办)")
        verbose_name_plural = _("co-department parts (协办)")
        ordering = ["case", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "department"], name="case_part_once")
        ]
        indexes = [
            # The scanner's work: open parts, by deadline (a handful at a time).
            models.Index(
                fields=["due_at"], name="case_part_open_due", condition=Q(status=PartStatus.OPEN)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.department_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == PartStatus.OPEN


class Summons(models.Model):
    """吹哨: a department summoned to a case's site, and its check-in (报到)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="summonses")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="summonses", verbose_name=_("department")
    )
    summoned_at = models.DateTimeField(_("summoned at (吹哨)"))
    arrive_by = models.DateTimeField(_("arrive by"))
    checked_in_at = models.DateTimeField(_("checked in at (报到)"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    lon = models.FloatField(_("check-in longitude"), null=True, blank=True)
    lat = models.FloatField(_("check-in latitude"), null=True, blank=True)
    accuracy_m = models.FloatField(_("GPS accuracy (m)"), null=True, blank=True)
    distance_m = models.FloatField(_("distance from the case (m)"), null=True, blank=True)
    in_cell = models.BooleanField(_("in the case's cell"), default=False)
    # Marks of the SLA scanner (workflows.summons), like a case's overdue step.
    overdue = models.BooleanField(_("late (迟到)"), default=False)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation (督办)"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )

    class Meta:
        verbose_name = _("summons (吹哨)")
        verbose_name_plural = _("summonses (吹哨)")
        ordering = ["case", "summoned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "department"],
                condition=Q(checked_in_at__isnull=True),
                name="summons_one_pending",
            )
        ]
        indexes = [
            # The scanner's work: summonses not checked in, by deadline (a handful at a time).
            models.Index(
                fields=["arrive_by"],
                name="summons_pending_due",
                condition=Q(checked_in_at__isnull=True),
            ),
            models.Index(fields=["department", "summoned_at"], name="summons_department_day"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.department_id} {self.summoned_at:%Y-%m-%d %H:%M}"

    @property
    def on_time(self) -> bool:
        return arrived_on_time(self.checked_in_at, self.arrive_by, overdue=self.overdue)

    @property
    def arrival_minutes(self) -> float | None:
        if self.checked_in_at is None:
            return None
        return round((self.checked_in_at - self.summoned_at).total_seconds() / 60, 1)


def arrived_on_time(checked_in_at, arrive_by, *, overdue: bool) -> bool:
    """按时报到, the one definition (the case page, the check-in's record, the indicators):
    checked in by ``arrive_by`` and never marked late by the scanner (late is late). In SQL:
    ``arrived_on_time_q``."""
    return checked_in_at is not None and checked_in_at <= arrive_by and not overdue


def arrived_on_time_q(prefix: str = "") -> Q:
    """``arrived_on_time`` as a filter over ``Summons`` (``prefix``: the path to it)."""
    return Q(
        **{
            f"{prefix}checked_in_at__isnull": False,
            f"{prefix}checked_in_at__lte": F(f"{prefix}arrive_by"),
            f"{prefix}overdue": False,
        }
    )


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """django-guardian's direct foreign key from a group's object permission to a case."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False


def department_group_name(department_id: int) -> str:
    return f"department:{department_id}"


def department_groups(department_ids: list[int]) -> list[Group]:
    """The groups the departments' handlers act through for object permissions (made once,
    in two queries for any number of departments)."""
    names = [department_group_name(pk) for pk in department_ids]
    Group.objects.bulk_create([Group(name=name) for name in names], ignore_conflicts=True)
    return list(Group.objects.filter(name__in=names))


def preload_joint_departments(cases) -> None:
    """Fill ``Case.joint_departments``' cache for a list of cases in at most two queries (only
    for cases whose counters say they have open parts or pending summonses), so a list's
    ``allowed_actions`` costs no query per case."""
    for counter, key, model, extra in (
        ("open_parts", "_open_part_departments", CasePart, {"status": PartStatus.OPEN}),
        ("pending_summons", "_summoned_departments", Summons, {"checked_in_at__isnull": True}),
    ):
        wanted = {case.pk: case for case in cases if getattr(case, counter)}
        if not wanted:
            continue
        found: dict[int, set[int]] = {pk: set() for pk in wanted}
        rows = model.objects.filter(case_id__in=list(wanted), **extra).values_list(
            "case_id", "department_id"
        )
        for case_id, department_id in rows:
            found[case_id].add(department_id)
        for pk, case in wanted.items():
            case.__dict__[key] = frozenset(found[pk])
