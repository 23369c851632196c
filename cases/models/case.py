"""Cases (案件), their append-only timeline (CaseEvent) and photos (Attachment) — DESIGN §4.

``Case.status`` is protected: it is set when a row is built or loaded, and after that only
inside ``Case.transition_to`` (called by the services in ``workflows.services``); assigning
it anywhere else raises ``AttributeError``. Every transition writes one ``CaseEvent``;
events are never updated or deleted, so replaying them reproduces the case
(``workflows.services.replay_events``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.geometry import haversine_m
from grids.models import Department, GridCell, Street
from grids.spatial import get_cell_index

from .categories import Category, Priority

if TYPE_CHECKING:
    from cases.photos import PreparedPhoto


class CaseStatus(models.TextChoices):
    COLLECTED = "collected", _("信息收集 collected")
    ACCEPTED = "accepted", _("已立案 accepted")
    REJECTED = "rejected", _("不予立案 rejected")
    DISPATCHED = "dispatched", _("已派遣 dispatched")
    HANDLING = "handling", _("处置中 handling")
    SUSPENDED = "suspended", _("挂账 suspended")
    FEEDBACK = "feedback", _("待核查 awaiting verification")
    CLOSED = "closed", _("已结案 closed")


OPEN_STATUSES = frozenset(CaseStatus.values) - {CaseStatus.REJECTED, CaseStatus.CLOSED}
# The same, in the order of the choices: filters that must match a partial index's condition
# use this list.
OPEN_STATUS_ORDER = [status for status in CaseStatus.values if status in OPEN_STATUSES]


class CaseSource(models.TextChoices):
    """The channel a case came in by. Set by the channel that received it (the worker's page
    or API, the resident portal, Open311, the staff hotline page), never by a client."""

    PATROL = "patrol", _("巡查 patrol")
    RESIDENT = "resident", _("居民上报 resident")
    HOTLINE = "hotline", _("热线 hotline")
    VISIT = "visit", _("走访 visit")
    OPEN311 = "open311", _("Open311")


# Cases the public reported (监督举报): their reporter is a resident with a contact and a
# tracking code, and rates the result (满意率 counts residents only, DESIGN §5).
RESIDENT_SOURCES = frozenset({CaseSource.RESIDENT, CaseSource.OPEN311, CaseSource.HOTLINE})


# 回退: a case departments returned this many times waits for the district admin's binding
# assignment (指定承办) instead of going back to the street to bounce again.
RETURNS_BEFORE_BINDING = 2


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("none")
    YELLOW = 1, _("黄牌 yellow")
    RED = 2, _("红牌 red")


class _ProtectedStatus(DeferredAttribute):
    """Lets ``status`` be set once (construction, loading) and then only in a transition."""

    def __set__(self, instance, value) -> None:
        name = self.field.attname
        if name in instance.__dict__ and not instance._status_unlocked:
            raise AttributeError(
                "Case.status changes only through a transition service (workflows.services)."
            )
        instance.__dict__[name] = value


class StatusField(models.CharField):
    descriptor_class = _ProtectedStatus

    def deconstruct(self):
        # Plain CharField in migrations: the protection is Python-side only.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class CaseNumberCounter(models.Model):
    """The last per-day sequence number used in a district (案件编号 counter row)."""

    district_code = models.CharField(max_length=6)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district_code", "day"], name="case_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.district_code} {self.day}: {self.last}"

    @classmethod
    def next_number(cls, *, district_code: str, day: date) -> str:
        """The next case number ``<district>-<yyyymmdd>-<6-digit sequence>``.

        One statement: an upsert that inserts the day's row at 1 or increments it, and
        returns the new value. Race-free: the row stays locked until the surrounding
        transaction ends, so call it inside the transaction that uses the number (a rollback
        then gives the number back) and late in it (concurrent intakes of the district wait
        for the lock). Outside a transaction it commits on its own.
        """
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (district_code, day, last) VALUES (%s, %s, 1) "
                f"ON CONFLICT (district_code, day) DO UPDATE SET last = {table}.last + 1 "
                "RETURNING last",
                [district_code, connection.ops.adapt_datefield_value(day)],
            )
            (last,) = cursor.fetchone()
        return f"{district_code}-{day:%Y%m%d}-{last:06d}"

    @classmethod
    @contextmanager
    def numbering(cls, case: Case, *, district_code: str, day: date) -> Iterator[None]:
        """Insert the new ``case`` with the next number of its district and day (as
        ``next_number`` makes it) around the writes of the block, inside the caller's
        transaction.

        On PostgreSQL the case's id is taken from its sequence first, the block writes what
        points at the case (checked at commit: the foreign keys are deferred), and the case is
        inserted last, in one statement with the counter's upsert: intake takes the counter's
        row lock with its last statement and holds it only until its commit, and the case row
        is written once (an UPDATE of it touches each of its thirty indexes again).
        Elsewhere the case is numbered and inserted before the block."""
        if connection.vendor != "postgresql":
            case.number = cls.next_number(district_code=district_code, day=day)
            case.save(force_insert=True)
            yield
            return
        table = connection.ops.quote_name(Case._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            (case.pk,) = cursor.fetchone()
        yield
        fields = Case._meta.concrete_fields
        values = [f.get_db_prep_save(f.pre_save(case, True), connection) for f in fields]
        number = "(SELECT %s || lpad(n.last::text, 6, '0') FROM n)"
        counter = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH n AS (INSERT INTO {counter} (district_code, day, last) VALUES (%s, %s, 1) "
                f"ON CONFLICT (district_code, day) DO UPDATE SET last = {counter}.last + 1 "
                f"RETURNING last) INSERT INTO {table} "
                f"({', '.join(connection.ops.quote_name(f.column) for f in fields)}) VALUES "
                f"({', '.join(number if f.name == 'number' else '%s' for f in fields)}) "
                "RETURNING number",
                [
                    district_code,
                    day,
                    *(
                        f"{district_code}-{day:%Y%m%d}-" if f.name == "number" else v
                        for f, v in zip(fields, values, strict=True)
                    ),
                ],
            )
            (case.number,) = cursor.fetchone()
        case._state.adding, case._state.db = False, connection.alias


class Case(models.Model):
    """案件: one problem or service request, from collection to closing.

    ``cell`` is found from the point; ``street`` is copied from the cell for scoping.
    ``due_at``/``remind_at`` are the current step's deadline and its 80 % reminder point;
    ``version`` grows by one with every transition.
    """

    Status = CaseStatus
    Source = CaseSource

    number = models.CharField(_("number"), max_length=32, editable=False)  # case_number_unique
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"parent__isnull": False},
        verbose_name=_("category (案件类别)"),
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    source = models.CharField(
        _("source"), max_length=10, choices=CaseSource.choices, default=CaseSource.PATROL
    )
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    cell = models.ForeignKey(
        GridCell,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("grid cell"),
        db_index=False,  # led by case_cell_status: a second index on it only slows every write
    )
    street = models.ForeignKey(
        Street,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("street"),
        db_index=False,  # led by case_street_status_due
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_cases",
        verbose_name=_("reporter"),
        db_index=False,  # led by case_reporter_board
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("department"),
        db_index=False,  # led by case_department_status
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_cases",
        verbose_name=_("handler"),
    )
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verified_cases",
        verbose_name=_("verifier"),
        db_index=False,  # led by case_verifier_status
    )
    cross_check = models.BooleanField(_("cross-check (交叉核查)"), default=False)
    status = StatusField(
        _("status"),
        max_length=10,
        choices=CaseStatus.choices,
        default=CaseStatus.COLLECTED,
        editable=False,
    )
    step_started_at = models.DateTimeField(_("step started at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    remind_at = models.DateTimeField(_("reminder at (催办)"), null=True, blank=True)
    requested_due_at = models.DateTimeField(
        _("extension requested until (延期申请)"), null=True, blank=True
    )
    # When the resident asked to reopen the closed case, while street staff have not decided
    # (the request itself is a ReopenRequest row); on the case so allowed_actions needs no query.
    reopen_requested_at = models.DateTimeField(
        _("reopen requested at (重新处理申请)"), null=True, blank=True
    )
    overdue = models.BooleanField(_("overdue"), default=False)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation (督办)"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    # Bookkeeping of the SLA scanner (workflows.sla), never set by transitions:
    # the ``remind_at`` a reminder was sent for (a new step or extension moves ``remind_at``
    # past it, so that step gets its own), and when a yellow case turns red (2× the limit).
    reminded_for = models.DateTimeField(_("reminder sent for (催办)"), null=True, blank=True)
    red_at = models.DateTimeField(_("red escalation at (红牌督办)"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("rework count (返工)"), default=0)
    # Clocks are never reset to hide delay (DESIGN §5; the rules are in workflows.clocks). The
    # total clock is ``created_at``. 回退: how often departments returned the case; after
    # RETURNS_BEFORE_BINDING returns a district admin assigns it, and that assignment
    # (``binding``, 指定承办) cannot be returned.
    return_count = models.PositiveSmallIntegerField(
        _("returns (回退)"), default=0, db_default=0, editable=False
    )
    binding = models.BooleanField(
        _("binding assignment (指定承办)"), default=False, db_default=False, editable=False
    )
    # 挂账: the current suspension's review date (its deadline, so also ``due_at`` while
    # suspended), the elapsed time of the suspensions that ended, and the handling clock's
    # marks while it stands still (restarted on resume with the time it had left).
    review_at = models.DateTimeField(
        _("suspension review date (挂账复核)"), null=True, blank=True, editable=False
    )
    suspended_seconds = models.PositiveIntegerField(
        _("suspended time, seconds (挂账时长)"), default=0, db_default=0, editable=False
    )
    paused_clock = models.JSONField(
        _("handling clock, stopped"), null=True, blank=True, editable=False
    )
    # 吹哨报到 joint handling (cases.models.joint): when the lead department (``department``,
    # 主办) reported its result while co-departments' parts were still open (the case waits in
    # handling), how many parts are open and summonses not checked in (kept with the rows, so
    # the transition table's rules need no query), and the department a transfer (转办) was
    # requested to, waiting for street staff.
    lead_reported_at = models.DateTimeField(
        _("lead department reported at (主办已反馈)"), null=True, blank=True, editable=False
    )
    open_parts = models.PositiveSmallIntegerField(
        _("open co-department parts (协办)"), default=0, db_default=0, editable=False
    )
    pending_summons = models.PositiveSmallIntegerField(
        _("summonses not checked in (吹哨待报到)"), default=0, db_default=0, editable=False
    )
    transfer_to = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("transfer requested to (转办申请)"),
        db_index=False,  # case_transfer_to, partial
    )
    # The resident reporter's key to the case (public tracking page, Open311 token); only on
    # cases from residents and callers (RESIDENT_SOURCES).
    tracking_code = models.CharField(  # case_tracking_code_unique
        _("tracking code"), max_length=10, null=True, blank=True, editable=False
    )
    # "Me too" count (附议), kept beside the rows in CaseSupporter so lists need no join.
    supporters = models.PositiveIntegerField(
        _("supporters (附议)"), default=0, db_default=0, editable=False
    )
    # Set by intake, cleared once the after-intake work is done (the street's notice and the
    # duplicate flags: workflows.tasks.follow_up_intakes). Kept on the row, so a broker
    # outage at intake delays that work but never loses it.
    intake_pending = models.BooleanField(
        _("after-intake work pending"), default=False, db_default=False, editable=False
    )
    # The household and resident a service case (S-family) serves, when it was found on a
    # visit or a care check-in (care): the case page shows the household's history to those
    # who serve it (residents.selectors).
    household = models.ForeignKey(
        "residents.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("household (户)"),
        db_index=False,  # case_household, partial
    )
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("resident (居民)"),
        db_index=False,  # case_resident, partial
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
        db_index=False,  # case_duplicate_of, partial
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    _status_unlocked = False

    class Meta:
        verbose_name = _("case (案件)")
        verbose_name_plural = _("cases (案件)")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street", "status", "due_at"], name="case_street_status_due"),
            models.Index(fields=["cell", "status"], name="case_cell_status"),
            models.Index(fields=["department", "category"], name="case_department_category"),
            models.Index(fields=["department", "status"], name="case_department_status"),
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["created_at"], name="case_created_at"),
            # Lists are newest first within a scope: these serve the first pages of a street's,
            # a cell's and a department's list without sorting their whole history.
            models.Index(fields=["street", "-created_at", "-id"], name="case_street_newest"),
            models.Index(fields=["cell", "-created_at", "-id"], name="case_cell_newest"),
            models.Index(
                fields=["department", "-created_at", "-id"], name="case_department_newest"
            ),
            # New cases whose after-intake work is still to do: a handful at any time.
            models.Index(
                fields=["id"], name="case_intake_pending", condition=Q(intake_pending=True)
            ),
            # The overdue board and filter: few rows, so a small partial index.
            models.Index(
                fields=["street", "due_at"], name="case_overdue_street", condition=Q(overdue=True)
            ),
            models.Index(
                fields=["department", "due_at"],
                name="case_overdue_department",
                condition=Q(overdue=True),
            ),
            # A handler's page: the department's open cases, overdue first, by deadline
            # (32k open of 800k at the district scale: sorted by the index, not per request).
            models.Index(
                F("department"),
                F("overdue").desc(),
                F("due_at"),
                F("id"),
                name="case_department_open",
                condition=Q(status__in=OPEN_STATUS_ORDER),
            ),
            # A worker's own reports (their home page): the columns it sorts by, so the order
            # is decided on the index and only the rows shown are read.
            models.Index(
                fields=["reporter", "status", "overdue", "due_at", "created_at", "id"],
                name="case_reporter_board",
            ),
            # Cases waiting for a worker's verification.
            models.Index(
                fields=["verifier", "status"],
                name="case_verifier_status",
                condition=Q(verifier__isnull=False),
            ),
            # Street staff's overdue board: open and overdue, red first, then by deadline.
            models.Index(
                F("street"),
                F("escalation_level").desc(),
                F("due_at"),
                F("id"),
                name="case_street_overdue_board",
                condition=Q(overdue=True, status__in=OPEN_STATUS_ORDER),
            ),
            # Links most cases lack: indexed only where set. A case row is written with every
            # step and SLA mark, each write adding an entry to each index that covers the row;
            # an empty link's entry served no query (``x = …`` and ``x IS NOT NULL`` find their
            # rows in the partial index).
            *(
                models.Index(
                    fields=[link], name=f"case_{link}", condition=Q(**{f"{link}__isnull": False})
                )
                for link in ("household", "resident", "duplicate_of", "transfer_to")
            ),
        ]
        constraints = [
            # Unique indexes without Django's second ``LIKE`` index for each (no query looks up
            # a number or a tracking code by prefix); tracking codes only where set.
            models.UniqueConstraint(fields=["number"], name="case_number_unique"),
            models.UniqueConstraint(
                fields=["tracking_code"],
                name="case_tracking_code_unique",
                condition=Q(tracking_code__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def awaiting_binding(self) -> bool:
        """Returned ``RETURNS_BEFORE_BINDING`` times and waiting in the district admins' queue
        for a binding assignment (指定承办): street staff may not dispatch it again."""
        return (
            self.status == CaseStatus.ACCEPTED
            and self.return_count >= RETURNS_BEFORE_BINDING
            and not self.binding
        )

    def joint_departments(self, *, open_parts: bool = False, pending_summons: bool = False):
        """Ids of the departments with an open part, or a summons not checked in, on this
        case; read once per instance, and only when the counters say there are any."""
        if open_parts:
            if not self.open_parts:
                return frozenset()
            key, rows = "_open_part_departments", self.parts.filter(status="open")
        elif pending_summons:
            if not self.pending_summons:
                return frozenset()
            key, rows = "_summoned_departments", self.summonses.filter(checked_in_at__isnull=True)
        else:
            raise ValueError("ask for open_parts or pending_summons")
        if key not in self.__dict__:
            self.__dict__[key] = frozenset(rows.values_list("department_id", flat=True))
        return self.__dict__[key]

    @contextmanager
    def _unlocked_status(self):
        self._status_unlocked = True
        try:
            yield
        finally:
            self._status_unlocked = False

    def transition_to(self, status: str) -> None:
        """Set the status. Only ``workflows.services`` calls this, inside a locked transition."""
        with self._unlocked_status():
            self.status = CaseStatus(status).value

    def refresh_from_db(self, *args, **kwargs) -> None:
        with self._unlocked_status():
            super().refresh_from_db(*args, **kwargs)


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("case events are append-only")

    def delete(self):
        raise TypeError("case events are append-only")


class CaseEvent(models.Model):
    """One step on a case's timeline. Append-only: saved once, never changed or deleted.

    ``seq`` numbers a case's events from 1; ``actor`` empty means the system (e.g. the
    routing task). ``payload["changes"]`` holds the replayed fields the step changed.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=24)
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_events",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("case event (案件日志)")
        verbose_name_plural = _("case events (案件日志)")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("case events are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("case events are append-only")


def attachment_path(instance: Attachment, filename: str) -> str:
    """Where an attachment's files are stored: with the other photos of its case."""
    return f"cases/{instance.case_id}/{filename}"


class Attachment(models.Model):
    """A photo on a case: at report, as the handler's result, or at verification.

    Stored as ``cases.photos`` prepared it: a JPEG with no metadata and a thumbnail beside
    it. Of the original's EXIF only the capture time and position are kept, as columns.
    Rows from before the pipeline have no thumbnail (their photo stands in for it), no
    size in pixels and no capture facts.
    """

    class Stage(models.TextChoices):
        REPORT = "report", _("上报 report")
        RESULT = "result", _("处置结果 result")
        VERIFICATION = "verification", _("核查 verification")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    # Street staff mark a photo publishable before the public map may show it.
    public = models.BooleanField(_("shown publicly"), default=False, db_default=False)
    file = models.FileField(_("file"), upload_to=attachment_path)
    thumbnail = models.FileField(_("thumbnail"), upload_to=attachment_path, blank=True)
    content_type = models.CharField(_("content type"), max_length=32, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    width = models.PositiveIntegerField(_("width (px)"), null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(_("height (px)"), null=True, blank=True, editable=False)
    taken_at = models.DateTimeField(
        _("taken at"), null=True, blank=True, editable=False, help_text=_("From the photo's EXIF.")
    )
    taken_lat = models.FloatField(
        _("latitude taken at"), null=True, blank=True, editable=False, help_text=_("EXIF GPS.")
    )
    taken_lon = models.FloatField(
        _("longitude taken at"), null=True, blank=True, editable=False, help_text=_("EXIF GPS.")
    )
    # What the phone said at capture (cases.photos.capture), checked by the server: the time
    # on the server's clock, the fix, the phone clock's skew, the fix's cell and its distance
    # from the case's point. Empty for photos sent without them.
    capture_at = models.DateTimeField(_("captured at"), null=True, blank=True, editable=False)
    capture_lon = models.FloatField(_("capture longitude"), null=True, blank=True, editable=False)
    capture_lat = models.FloatField(_("capture latitude"), null=True, blank=True, editable=False)
    capture_accuracy_m = models.FloatField(
        _("capture GPS accuracy (m)"), null=True, blank=True, editable=False
    )
    clock_skew_s = models.IntegerField(
        _("phone clock skew (s)"), null=True, blank=True, editable=False
    )
    capture_cell = models.ForeignKey(
        GridCell,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("cell of the capture"),
    )
    capture_distance_m = models.FloatField(
        _("distance from the case (m)"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("attachment (附件)")
        verbose_name_plural = _("attachments (附件)")
        ordering = ["case", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage} {self.file.name}"

    @classmethod
    def build(
        cls, *, case: Case, stage: str, photo: PreparedPhoto, event: CaseEvent | None = None
    ) -> Attachment:
        """An unsaved attachment of ``photo`` (from ``cases.photos.prepare_photos``, the only
        way a photo gets in); saving it writes the photo and its thumbnail to storage."""
        stem = f"{stage}-{timezone.now():%Y%m%d%H%M%S%f}"
        return cls(
            case=case,
            event=event,
            stage=stage,
            file=ContentFile(photo.data, name=f"{stem}.jpg"),
            thumbnail=ContentFile(photo.thumbnail, name=f"{stem}-thumb.jpg"),
            content_type=photo.content_type,
            size=len(photo.data),
            width=photo.width,
            height=photo.height,
            taken_at=photo.taken_at,
            taken_lat=photo.lat,
            taken_lon=photo.lon,
            **_capture_fields(case, photo.capture),
        )

    @property
    def has_capture(self) -> bool:
        return self.capture_at is not None or self.capture_lon is not None

    @property
    def is_far(self) -> bool:
        """Taken farther from the case than ``PHOTO_FAR_M`` beyond the fix's accuracy."""
        if self.capture_distance_m is None:
            return False
        return self.capture_distance_m > settings.PHOTO_FAR_M + (self.capture_accuracy_m or 0)

    @property
    def clock_off(self) -> bool:
        """The phone's clock was off by more than ``PHOTO_MAX_CLOCK_SKEW_S``."""
        return abs(self.clock_skew_s or 0) > settings.PHOTO_MAX_CLOCK_SKEW_S


def _capture_fields(case: Case, capture) -> dict:
    """Attachment columns from a ``cases.photos.capture.Capture`` (or None)."""
    if capture is None:
        return {}
    fields = {
        "capture_at": capture.taken_at,
        "capture_accuracy_m": capture.accuracy_m,
        "clock_skew_s": capture.clock_skew_s,
    }
    if capture.lon is not None:
        fields |= {
            "capture_lon": capture.lon,
            "capture_lat": capture.lat,
            "capture_cell_id": get_cell_index().lookup(capture.lon, capture.lat),
            "capture_distance_m": round(haversine_m(capture.lon, capture.lat, case.lon, case.lat)),
        }
    return fields
