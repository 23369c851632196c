"""Households, residents, service tags and the personal-data access logs (DESIGN §3).

ID numbers (身份证号) and phones are encrypted at rest (``EncryptedTextField``); a keyed hash
beside each makes exact lookup and uniqueness possible without the plaintext. Names and
addresses are not encrypted but restricted by role (see ``selectors``: only those who serve a
resident see them whole; ``__str__`` gives the masked forms, so admin titles, history and
log entries never carry them). A whole view goes through ``services.reveal_resident_pii``
and is logged in ``PIIAccessLog``; list views, exports and whole-number searches in
``PIIListLog``.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import GridCell

from .crypto import pii_hash
from .fields import EncryptedTextField
from .masking import mask_address, mask_id_number, mask_name, mask_phone
from .validators import normalize_cn_phone, normalize_id_number_text, validate_id_number

# 老年人权益保障法 art. 2: 60 and over. The built-in 老年人 tag (code "elderly") is seeded with
# it; the tag's min_age is the one definition everything reads (``Tag.elderly_age``).
LEGAL_ELDERLY_AGE = 60


def years_before(day: date, years: int) -> date:
    """``day`` moved back ``years`` years; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def id_number_hash_of(value: str) -> str:
    """The lookup hash stored in ``Resident.id_number_hash`` for an ID number as typed."""
    return pii_hash(normalize_id_number_text(value))


def phone_hash_of(value: str) -> str:
    """The lookup hash stored in ``Resident.phone_hash``; ``""`` for no phone.

    Raises ``ValidationError`` for a number that is not a valid CN phone, since a hash of an
    un-normalised number would never match a stored one.
    """
    return pii_hash(normalize_cn_phone(value)) if value else ""


class Tag(models.Model):
    """A service tag (服务标签) marking who needs attention: 独居老人, 残疾人, 低保 …

    Built-in tags come from a data migration; districts may add their own. A *derived* tag
    (``min_age`` set, e.g. 老年人 at 60) is never ticked by hand: every resident of that age
    carries it, by the birth date (``Resident.derived_tags``, ``ResidentQuerySet.with_tag``),
    and it works like the others elsewhere — shown beside them, and its ``visit_every_days``
    schedules visits (``selectors.households_due_visit``).
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    builtin = models.BooleanField(
        _("built in"),
        default=False,
        editable=False,
        help_text=_("Created by GridGov; other apps may rely on its code."),
    )
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_(
            "Shown only to those who serve the resident (grid and functional workers of the "
            "cell, street staff of the street); others see only how many such tags a "
            "resident has. E.g. 残疾人, 低保, 优抚对象, 失业."
        ),
    )
    min_age = models.PositiveSmallIntegerField(
        _("derived from age"),
        null=True,
        blank=True,
        help_text=_(
            "Set to make this tag follow from the birth date: every resident this old or "
            "older carries it (老年人: 60). Such a tag cannot be ticked by hand."
        ),
    )
    visit_every_days = models.PositiveSmallIntegerField(
        _("visit every (days)"),
        null=True,
        blank=True,
        help_text=_(
            "How often the grid worker should visit a household with such a resident "
            "(走访周期). Empty: no regular visit."
        ),
    )

    class Meta:
        verbose_name = _("tag (标签)")
        verbose_name_plural = _("tags (标签)")
        ordering = ["-builtin", "code"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def elderly_age(cls) -> int:
        """From what age a resident is 老年人: the built-in tag's ``min_age`` (a district may
        change it in the admin), the law's 60 if that tag is gone."""
        age = cls.objects.filter(code="elderly").values_list("min_age", flat=True).first()
        return LEGAL_ELDERLY_AGE if age is None else age


class Household(models.Model):
    """户 — an address in a grid cell where residents live. The address is emptied when
    every resident has been anonymised (``retention``)."""

    cell = models.ForeignKey(
        GridCell, on_delete=models.PROTECT, related_name="households", verbose_name=_("grid cell")
    )
    address = models.CharField(_("address"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household (户)")
        verbose_name_plural = _("households (户)")
        ordering = ["cell", "address"]

    def __str__(self) -> str:
        return mask_address(self.address)

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            return
        # Residents carry a copy of the cell for scoping; a household moved to another cell
        # takes its residents along, or they would drop out of the new worker's lists.
        self.residents.exclude(cell_id=self.cell_id).update(cell_id=self.cell_id)


class Gender(models.TextChoices):
    MALE = "M", _("男 male")
    FEMALE = "F", _("女 female")


class ResidentQuerySet(models.QuerySet):
    def with_tag(self, tag: Tag, on: date | None = None) -> ResidentQuerySet:
        """Residents carrying ``tag``: ticked, or for a derived tag of that age on ``on``."""
        if tag.min_age is not None:
            cutoff = years_before(on or timezone.localdate(), tag.min_age)
            return self.filter(birth_date__lte=cutoff)
        return self.filter(tags=tag)

    def living(self) -> ResidentQuerySet:
        """Residents still living in their household (not moved out, not deceased)."""
        return self.filter(moved_out_at__isnull=True)


class LeftReason(models.TextChoices):
    """Why a resident no longer lives in the household (the row is kept, not deleted)."""

    MOVED_OUT = "moved_out", _("迁出 moved out")
    DECEASED = "deceased", _("去世 deceased")


class Resident(models.Model):
    """居民. ``id_number`` and ``phone`` are encrypted; never show them whole in a list, nor
    the birth date beside the masked ID number (see ``masking.shown_birth_year``).

    ``moved_out_at`` starts the retention period; ``anonymised_at`` marks a resident whose
    name, ID number and phone were erased and birth date cut to 1 January (``retention``).
    """

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="residents", verbose_name=_("household")
    )
    # Copy of household.cell, kept in step by save(): scoping joins one table fewer.
    cell = models.ForeignKey(
        GridCell,
        on_delete=models.PROTECT,
        related_name="residents",
        editable=False,
        verbose_name=_("grid cell"),
    )
    name = models.CharField(_("name"), max_length=32)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedTextField(_("ID number (身份证号)"))
    # NULL once anonymised: every erased ID number would otherwise share one hash.
    id_number_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="residents", verbose_name=_("tags"))
    moved_out_at = models.DateField(
        _("moved out on"),
        null=True,
        blank=True,
        help_text=_(
            "The day the resident left (moved out or died). Their personal data is anonymised "
            "RETAIN_MOVED_OUT_DAYS days later (PIPL)."
        ),
    )
    left_reason = models.CharField(
        _("left because"), max_length=10, choices=LeftReason.choices, blank=True
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident (居民)")
        verbose_name_plural = _("residents (居民)")
        ordering = ["household", "name"]

    def __str__(self) -> str:
        return mask_name(self.name)

    def save(self, *args, **kwargs) -> None:
        """Normalise the ID number and phone, set their hashes and copy the household's cell.

        Validation is ``clean()``'s job (services call ``full_clean``); an invalid phone is
        stored as typed rather than lost.
        """
        self.id_number = normalize_id_number_text(self.id_number)
        self.id_number_hash = id_number_hash_of(self.id_number) if self.id_number else None
        try:
            self.phone = normalize_cn_phone(self.phone) if self.phone else ""
            self.phone_hash = phone_hash_of(self.phone)
        except ValidationError:
            self.phone = (self.phone or "").strip()
            self.phone_hash = pii_hash(self.phone)
        if self.household_id is not None:
            self.cell_id = self.household.cell_id
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            for field, derived in (
                ("id_number", "id_number_hash"),
                ("phone", "phone_hash"),
                ("household", "cell"),
            ):
                if field in update_fields:
                    update_fields.add(derived)
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def derived_tags(self, tags: list[Tag], on: date | None = None) -> list[Tag]:
        """Which of the derived ``tags`` (those with ``min_age``) this resident carries."""
        if self.birth_date is None:
            return []
        day = on or timezone.localdate()
        return [
            t
            for t in tags
            if t.min_age is not None and self.birth_date <= years_before(day, t.min_age)
        ]

    def clean(self) -> None:
        """Validate and normalise the ID number and phone; refuse an ID number already
        registered (checked here because the hash column is not on any form)."""
        super().clean()
        errors: dict[str, list[str]] = {}
        try:
            self.id_number = validate_id_number(self.id_number)
        except ValidationError as exc:
            errors["id_number"] = exc.messages
        else:
            duplicate = Resident.objects.filter(id_number_hash=id_number_hash_of(self.id_number))
            if duplicate.exclude(pk=self.pk).exists():
                errors["id_number"] = [_("A resident with this ID number is already registered.")]
        if self.phone:
            try:
                self.phone = normalize_cn_phone(self.phone)
            except ValidationError as exc:
                errors["phone"] = exc.messages
        if self.birth_date and self.birth_date > timezone.localdate():
            errors["birth_date"] = [_("The birth date is in the future.")]
        if self.moved_out_at and self.moved_out_at > timezone.localdate():
            errors["moved_out_at"] = [_("Record a move-out on the day it happens, not in advance.")]
        if self.left_reason and not self.moved_out_at:
            errors["moved_out_at"] = [_("Give the day the resident left.")]
        if errors:
            raise ValidationError(errors)


class PIIAccessLog(models.Model):
    """One whole view of a resident's personal data: who, whose, which fields, why, when.

    Append-only. Rows outlive the resident (``SET_NULL``) and block deleting the viewer
    (``PROTECT``: deactivate accounts instead), since the log is what an audit asks for.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pii_access_logs",
        verbose_name=_("user"),
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        related_name="pii_access_logs",
        verbose_name=_("resident"),
    )
    fields = models.CharField(_("fields"), max_length=100)
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data access (个人信息查看记录)")
        verbose_name_plural = _("personal data accesses (个人信息查看记录)")
        ordering = ["-at"]
        indexes = [models.Index(fields=["resident", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.resident} · {self.fields}"


class PIIListLog(models.Model):
    """One list view, export or whole-number search of residents (个人信息列表查询记录): who,
    when, where, with which filters, what kind of search, how many residents it showed.

    One row per view, not per resident. A search is kept as its kind and a keyed hash
    (``crypto.pii_hash``, the same as the lookup columns), never as typed: an auditor can
    check whether a given number was searched without the log holding any. Append-only, and
    the viewer cannot be deleted while rows name them, as for ``PIIAccessLog``.
    """

    class Kind(models.TextChoices):
        LIST = "list", _("list view")
        EXPORT = "export", _("export")
        SEARCH = "search", _("whole-number search")

    class SearchKind(models.TextChoices):
        NONE = "", _("no search")
        TEXT = "text", _("name or address")
        ID_NUMBER = "id_number", _("whole ID number")
        PHONE = "phone", _("whole phone number")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pii_list_logs",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # "where" is an SQL keyword: a column of that name would need quoting in every report.
    where = models.CharField(_("where"), max_length=100, db_column="place")
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    search_kind = models.CharField(
        _("search"), max_length=10, choices=SearchKind.choices, blank=True
    )
    search_hash = models.CharField(_("search (keyed hash)"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(
        _("residents shown"), null=True, help_text=_("Empty when the search was refused.")
    )
    refused = models.BooleanField(
        _("refused"),
        default=False,
        help_text=_("Over the per-user limit of whole-number searches."),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data list or search (个人信息列表查询记录)")
        verbose_name_plural = _("personal data lists and searches (个人信息列表查询记录)")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.where}"


def visit_photo_path(instance: Visit, filename: str) -> str:
    return f"visits/{instance.household_id}/{filename}"


class Visit(models.Model):
    """走访 — a grid worker's visit to a household. Households whose residents carry a tag
    with ``visit_every_days`` are due again that many days after the last visit."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="visits", verbose_name=_("household")
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("grid worker"),
    )
    visited_at = models.DateTimeField(_("visited at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The phone's GPS fix when the visit was logged (WGS-84), its accuracy and the phone's
    # time of the fix; ``fix_cell`` is the cell the fix falls in (None: in no cell), kept so
    # the integrity rule compares it with the household's cell without geometry.
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    accuracy_m = models.FloatField(_("GPS accuracy (m)"), null=True, blank=True)
    fixed_at = models.DateTimeField(_("GPS fix taken at"), null=True, blank=True)
    fix_cell = models.ForeignKey(
        GridCell,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cell of the GPS fix"),
    )
    # An optional photo, stored as the photo pipeline (cases.photos) prepared it: a JPEG
    # without metadata and its thumbnail; served only to those who serve the household.
    photo = models.FileField(_("photo"), upload_to=visit_photo_path, blank=True)
    photo_thumbnail = models.FileField(_("thumbnail"), upload_to=visit_photo_path, blank=True)

    class Meta:
        verbose_name = _("visit (走访)")
        verbose_name_plural = _("visits (走访)")
        ordering = ["-visited_at"]
        indexes = [
            models.Index(fields=["household", "visited_at"]),
            models.Index(fields=["visited_at"], name="visit_time"),  # the integrity scan
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.visited_at:%Y-%m-%d}"

    @property
    def has_fix(self) -> bool:
        return self.lon is not None and self.lat is not None
