"""Assessment (考核): grading schemes, daily/monthly rollups and satisfaction ratings — DESIGN §5.

The indicator definitions live in ``assessment.indicators``; the rollups hold the *counts*
behind them, summed per day (and per month, from the days) so a dashboard over two million
cases reads thousands of rows. Every indicator of every unit is a ratio of sums of these
columns, so any period and any level is a ``SUM(...) GROUP BY`` away.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import CommunityType

# --- grading schemes --------------------------------------------------------------------------

# The weighted components of a score, each a rate in [0, 1] where higher is better.
COMPONENTS = ("closing", "on_time", "rework", "satisfaction", "self_discovery")


def _weight(label):
    return models.PositiveSmallIntegerField(label, default=20, validators=[MaxValueValidator(100)])


def _target(label, default: str):
    return models.DecimalField(
        label,
        max_digits=4,
        decimal_places=3,
        default=default,
        validators=[MinValueValidator(0.01), MaxValueValidator(1)],
        help_text=_("The rate that earns the component's full marks (0.01–1)."),
    )


class GradingScheme(models.Model):
    """考核方案 — weights, targets and grade thresholds for one community type.

    A unit's score is ``100 × Σ weight·min(1, rate/target) / Σ weight`` over the components
    that have data (a rate from fewer than 5 cases is left out, its weight too). Only rates
    of independently checked cases enter the score, so cheap volume never raises it (DESIGN
    §5: volume targets breed fake reports; see ``assessment.indicators``). The row with an
    empty ``community_type`` is the default, used for streets, districts, departments and any
    type without its own row.
    """

    community_type = models.CharField(
        _("community type (社区类型)"),
        max_length=20,
        choices=CommunityType.choices,
        blank=True,
        unique=True,
        help_text=_("Empty: the default scheme (streets, districts, departments)."),
    )
    name = models.CharField(_("name"), max_length=64)
    weight_closing = _weight(_("weight: closing rate (结案率)"))
    weight_on_time = _weight(_("weight: on-time closing rate (按期结案率)"))
    weight_rework = _weight(_("weight: no-rework rate (1 − 返工率)"))
    weight_satisfaction = _weight(_("weight: satisfaction rate (满意率)"))
    weight_self_discovery = _weight(_("weight: self-discovery rate (1 − 监督举报率)"))
    target_closing = _target(_("target: closing rate"), "0.980")
    target_on_time = _target(_("target: on-time closing rate"), "0.950")
    target_rework = _target(_("target: no-rework rate"), "0.950")
    target_satisfaction = _target(_("target: satisfaction rate"), "0.950")
    target_self_discovery = _target(_("target: self-discovery rate"), "0.900")
    grade_a = models.PositiveSmallIntegerField(_("grade A from"), default=90)
    grade_b = models.PositiveSmallIntegerField(_("grade B from"), default=75)
    grade_c = models.PositiveSmallIntegerField(_("grade C from"), default=60)
    grade_d = models.PositiveSmallIntegerField(_("grade D from"), default=40)

    class Meta:
        verbose_name = _("grading scheme (考核方案)")
        verbose_name_plural = _("grading schemes (考核方案)")
        ordering = ["community_type"]
        constraints = [
            models.CheckConstraint(
                name="grading_thresholds_ordered",
                condition=Q(grade_a__lte=100)
                & Q(grade_a__gt=models.F("grade_b"))
                & Q(grade_b__gt=models.F("grade_c"))
                & Q(grade_c__gt=models.F("grade_d")),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if not (100 >= self.grade_a > self.grade_b > self.grade_c > self.grade_d):
            raise ValidationError({"grade_b": _("Thresholds must fall: 100 ≥ A > B > C > D.")})
        if not any(getattr(self, f"weight_{c}") for c in COMPONENTS):
            raise ValidationError({"weight_closing": _("At least one weight must be above 0.")})


# --- rollups ----------------------------------------------------------------------------------


class Span(models.TextChoices):
    DAY = "day", _("day")
    MONTH = "month", _("month")


class RollupCounts(models.Model):
    """The counts every indicator is made of (see ``assessment.indicators``)."""

    filed = models.PositiveIntegerField(_("filed (立案数)"), default=0)
    filed_public = models.PositiveIntegerField(_("filed public reports (群众举报)"), default=0)
    closed = models.PositiveIntegerField(_("closed (结案数)"), default=0)
    closed_on_time = models.PositiveIntegerField(_("closed on time (按期结案数)"), default=0)
    reworks = models.PositiveIntegerField(_("failed verifications (返工)"), default=0)
    # Microseconds, so sums over any grouping are exact (seconds truncated per row were not).
    handling_us = models.BigIntegerField(_("handling time, µs (处置时长)"), default=0)
    rated = models.PositiveIntegerField(_("rated (参评数)"), default=0)
    satisfied = models.PositiveIntegerField(_("satisfied (满意数)"), default=0)
    opened = models.PositiveIntegerField(_("opened (新增案件)"), default=0)
    resolved = models.PositiveIntegerField(_("closed or rejected (办结/不予立案)"), default=0)
    self_resolved = models.PositiveIntegerField(_("resolved on the spot (自行处置数)"), default=0)
    patrol_filed = models.PositiveIntegerField(
        _("filed in patrol categories (巡查类立案数)"), default=0
    )
    missed = models.PositiveIntegerField(_("public reports a patrol missed (漏报数)"), default=0)

    class Meta:
        abstract = True


class CellRollup(RollupCounts):
    """One grid cell's counts for one day (or one month: the sum of its days).

    The cell's community, street and district are copied on the row so a district's streets
    and communities are summed without joins.
    """

    span = models.CharField(_("span"), max_length=5, choices=Span.choices)
    start = models.DateField(_("first day"))
    cell = models.ForeignKey("grids.GridCell", on_delete=models.CASCADE, related_name="+")
    community_id = models.BigIntegerField()
    street_id = models.BigIntegerField()
    district_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("cell rollup (网格日汇总)")
        verbose_name_plural = _("cell rollups (网格日汇总)")
        constraints = [
            models.UniqueConstraint(fields=["span", "start", "cell"], name="cell_rollup_unique")
        ]
        indexes = [
            models.Index(fields=["span", "district_id", "start"], name="cell_rollup_district"),
            models.Index(fields=["span", "street_id", "start"], name="cell_rollup_street"),
        ]

    def __str__(self) -> str:
        return f"{self.span} {self.start} cell {self.cell_id}"


class CommunityRollup(RollupCounts):
    """One community's counts for one day (or month): its cells' rows summed. Districts,
    streets and communities are read from here — a tenth of the cell rows."""

    span = models.CharField(_("span"), max_length=5, choices=Span.choices)
    start = models.DateField(_("first day"))
    community = models.ForeignKey("grids.Community", on_delete=models.CASCADE, related_name="+")
    street_id = models.BigIntegerField()
    district_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("community rollup (社区日汇总)")
        verbose_name_plural = _("community rollups (社区日汇总)")
        constraints = [
            models.UniqueConstraint(
                fields=["span", "start", "community"], name="community_rollup_unique"
            )
        ]
        indexes = [
            models.Index(fields=["span", "district_id", "start"], name="comm_rollup_district"),
            models.Index(fields=["span", "street_id", "start"], name="comm_rollup_street"),
        ]

    def __str__(self) -> str:
        return f"{self.span} {self.start} community {self.community_id}"


class DepartmentRollup(RollupCounts):
    """One department's counts in one street for one day (or month). A case counts for the
    department it is with when the day is rolled up (for a closed case: the one that
    handled it)."""

    span = models.CharField(_("span"), max_length=5, choices=Span.choices)
    start = models.DateField(_("first day"))
    department = models.ForeignKey("grids.Department", on_delete=models.CASCADE, related_name="+")
    street_id = models.BigIntegerField()
    district_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("department rollup (部门日汇总)")
        verbose_name_plural = _("department rollups (部门日汇总)")
        constraints = [
            models.UniqueConstraint(
                fields=["span", "start", "department", "street_id"], name="dept_rollup_unique"
            )
        ]
        indexes = [
            models.Index(fields=["span", "district_id", "start"], name="dept_rollup_district")
        ]

    def __str__(self) -> str:
        return f"{self.span} {self.start} department {self.department_id} street {self.street_id}"


class RolledDay(models.Model):
    """A day whose rollup rows are written (and when). Days after the last rolled day are
    counted live from the case table."""

    day = models.DateField(_("day"), primary_key=True)
    rolled_at = models.DateTimeField(_("rolled up at"))
    cell_rows = models.PositiveIntegerField(default=0)
    department_rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")
        ordering = ["-day"]

    def __str__(self) -> str:
        return self.day.isoformat()


# --- satisfaction -----------------------------------------------------------------------------


class Satisfaction(models.Model):
    """满意度评价 — a resident's 1–5 rating of a closed case, given once (DESIGN §5: 满意率
    counts residents' ratings only).

    Residents who reported through the portal, Open311 or the hotline rate on their tracking
    page (``channel = link``); for a case a worker found, street staff may enter a phone
    callback to the affected household (``channel = phone``, ``entered_by`` themselves, never
    the case's reporter). A worker never rates a case.
    """

    class Channel(models.TextChoices):
        LINK = "link", _("the resident, on the tracking page")
        PHONE = "phone", _("电话回访 phone callback")

    SATISFIED_FROM = 4  # 4 满意 and 5 非常满意 count as satisfied

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="satisfaction")
    score = models.PositiveSmallIntegerField(
        _("score (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by (callbacks)"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction rating (满意度)")
        verbose_name_plural = _("satisfaction ratings (满意度)")
        ordering = ["-rated_at", "-id"]
        indexes = [
            models.Index(
                fields=["rated_at"], name="satisfaction_rated_at", condition=Q(score__isnull=False)
            )
        ]
        constraints = [
            models.CheckConstraint(
                name="satisfaction_score_range",
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
            ),
            models.CheckConstraint(
                name="satisfaction_rated_complete",
                condition=Q(score__isnull=True, rated_at__isnull=True)
                | Q(score__isnull=False, rated_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.score or '—'}"

    @property
    def is_rated(self) -> bool:
        return self.score is not None


# --- the grid-service survey ------------------------------------------------------------------


def quarter_of(day) -> str:
    """``2026Q4`` for a date in October–December 2026."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


class GridSurveyAnswer(models.Model):
    """网格服务满意度测评 — a resident's answer to "How well does your grid worker serve you?"
    (1–5 and a comment), from the survey link or QR poster of their cell.

    One answer per person (phone or email, kept only as a keyed hash) per cell and quarter.
    ``worker`` is the grid worker who served the cell when the answer came in, so a worker's
    居民满意率 follows them and not the cell.
    """

    cell = models.ForeignKey(
        "grids.GridCell", on_delete=models.CASCADE, related_name="+", verbose_name=_("grid cell")
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grid worker"),
    )
    score = models.PositiveSmallIntegerField(
        _("score (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    contact_hash = models.CharField(max_length=64, editable=False)
    quarter = models.CharField(_("quarter"), max_length=6, editable=False)
    answered_at = models.DateTimeField(_("answered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("grid-service survey answer (网格服务测评)")
        verbose_name_plural = _("grid-service survey answers (网格服务测评)")
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cell", "contact_hash", "quarter"], name="survey_once_per_quarter"
            ),
            models.CheckConstraint(
                name="survey_score_range", condition=Q(score__gte=1, score__lte=5)
            ),
        ]
        indexes = [models.Index(fields=["answered_at"], name="survey_answered_at")]

    def __str__(self) -> str:
        return f"{self.cell_id} {self.quarter}: {self.score}"


class ArrivalRollup(models.Model):
    """The cases one department was summoned to (吹哨) in one street for one day, each by the
    day of its first summons to the case: how many, how many checked in (报到), how many on
    time, and the arrival time summed (seconds from summons to check-in).
    ``assessment.arrivals`` writes and reads them."""

    start = models.DateField(_("day"))
    department = models.ForeignKey("grids.Department", on_delete=models.CASCADE, related_name="+")
    street_id = models.BigIntegerField()
    district_id = models.BigIntegerField()
    summoned = models.PositiveIntegerField(_("summoned (吹哨)"), default=0)
    checked_in = models.PositiveIntegerField(_("checked in (报到)"), default=0)
    on_time = models.PositiveIntegerField(_("checked in on time (按时报到)"), default=0)
    arrival_seconds = models.BigIntegerField(_("arrival time, seconds (到场用时)"), default=0)

    class Meta:
        verbose_name = _("arrival rollup (报到日汇总)")
        verbose_name_plural = _("arrival rollups (报到日汇总)")
        constraints = [
            models.UniqueConstraint(
                fields=["start", "department", "street_id"], name="arrival_rollup_unique"
            )
        ]
        indexes = [models.Index(fields=["district_id", "start"], name="arrival_rollup_district")]

    def __str__(self) -> str:
        return f"{self.start} department {self.department_id} street {self.street_id}"


class OpenCaseTally(models.Model):
    """How many cases are open per street and — for the overdue ones — the local day their
    deadline passed (``late_day``; None: not overdue): what a district's or a street's
    dashboard reads instead of scanning every open case on each load (``assessment.tally``).
    Per street, not per cell: a district's open cases are a few per cell and day, so a finer
    key would hold nearly a row per case (measured: 78,694 rows for 79,610 cases per cell,
    department and day; 20,823 per street and day).

    PostgreSQL keeps it current with statement triggers on the case table: every statement
    that changes cases appends one signed row per key it moved (−1 where a case left, +1
    where it arrived), so concurrent writers never wait on a shared counter row; the totals
    are the sums, and ``tally.compact`` folds the rows of a key into one every minute. Not
    kept on SQLite, where the dashboard counts the open cases directly.
    """

    street_id = models.BigIntegerField()
    late_day = models.DateField(null=True)
    n = models.IntegerField()

    class Meta:
        verbose_name = _("open case tally (在办案件计数)")
        verbose_name_plural = _("open case tallies (在办案件计数)")

    def __str__(self) -> str:
        return f"street {self.street_id} {self.late_day}: {self.n}"


class OpenCellTally(models.Model):
    """How many cases are open per cell and, of those, overdue (``late``: marked overdue, with
    a deadline): what the cells' map and a worker's figures read instead of scanning every
    open case (a district's 80,000) on each load. Without the deadline's day a cell keeps
    two rows (6,000 for a district) where ``OpenCaseTally``'s key would keep nearly one per
    case; "overdue by the end of the period" is the late ones less the few whose deadline is
    after it (a case resumed from suspension keeps its overdue mark with a deadline moved
    later), counted from the overdue index (``rollups.open_case_counts``).

    Kept by the same statement triggers as ``OpenCaseTally`` (``assessment.tally``), appended
    to and compacted alike; ``street_id`` narrows it to a scope."""

    street_id = models.BigIntegerField()
    cell_id = models.BigIntegerField()
    late = models.BooleanField()
    n = models.IntegerField()

    class Meta:
        verbose_name = _("open case tally per cell (网格在办案件计数)")
        verbose_name_plural = _("open case tallies per cell (网格在办案件计数)")

    def __str__(self) -> str:
        return f"cell {self.cell_id} {'late' if self.late else 'in time'}: {self.n}"
