"""Case categories (案件类别) and routing rules (派遣规则) — DESIGN §4 "Categories".

Categories have two levels with codes of 2 + 2 digits after a family letter: a major class
``C01`` (部件 · 公用设施) and its sub-categories ``C0101``, ``C0102`` … Cases are filed under a
sub-category, which carries everything the loop needs: default priority, per-step time
limits, acceptance/closing conditions and evidence requirements. The standard set is loaded
by a data migration; districts may add their own.

A ``RoutingRule`` names the department that handles a sub-category in a territory (a
district, a street or a community); ``cases.selectors.route_for`` picks the most specific.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import Community, Department, DepartmentKind, District, Specialty, Street


class CategoryFamily(models.TextChoices):
    """The letter in front of a category code."""

    COMPONENT = "C", _("部件 component")
    EVENT = "E", _("事件 event")
    SERVICE = "S", _("民生服务 public service")


class Priority(models.TextChoices):
    LOW = "low", _("低 low")
    NORMAL = "normal", _("一般 normal")
    HIGH = "high", _("重要 high")
    URGENT = "urgent", _("紧急 urgent")


class LimitUnit(models.TextChoices):
    """Unit of a time limit. Same values as ``workflows.calendar.LimitUnit``; unify later.

    Working hours/days follow the working calendar; calendar hours run round the clock
    (urgent cases).
    """

    WORKING_HOURS = "working_hours", _("工作时 working hours")
    WORKING_DAYS = "working_days", _("工作日 working days")
    CALENDAR_HOURS = "calendar_hours", _("自然小时 calendar hours")


# The steps of the loop that have a time limit, and the field holding each limit.
LIMIT_STEPS: dict[str, str] = {
    "accept": "accept_limit",
    "dispatch": "dispatch_limit",
    "handle": "handle_limit",
    "verify": "verify_limit",
}

# Fields that only a sub-category carries; a major class leaves them at these values.
SUBCATEGORY_FIELDS: dict[str, object] = {
    "default_priority": "",
    "accept_limit": None,
    "dispatch_limit": None,
    "handle_limit": None,
    "verify_limit": None,
    "limit_unit": "",
    "urgent_limit_hours": None,
    "acceptance_condition": "",
    "closing_condition": "",
    "requires_result_photo": False,
    "requires_verification_photo": False,
    "default_department_kind": "",
    "public": False,
}
# Of those, the ones every sub-category must set.
SUBCATEGORY_REQUIRED = (
    "default_priority",
    "accept_limit",
    "dispatch_limit",
    "handle_limit",
    "verify_limit",
    "limit_unit",
    "urgent_limit_hours",
)

CODE_RE = r"^[CES]\d{2}(\d{2})?$"
category_code_validator = RegexValidator(
    CODE_RE,
    _(
        "A category code is a family letter (C, E or S) and 2 digits for a major class "
        "(e.g. C01), or 4 digits for a sub-category (e.g. C0101)."
    ),
)


# An extension moves a deadline by at most the category's ``max_extension_days`` working days
# (workflows.clocks.check_extension), a month by default, and never to more than a working
# year from now; longer waits are a suspension (挂账) with a review date. A step's limit is at
# most a working year too. So the working calendar computes every deadline and reminder the
# loop can set (it refuses spans past workflows.calendar.MAX_LIMIT_DAYS, 366 days' worth).
DEFAULT_MAX_EXTENSION_DAYS = 20
# 吹哨报到: a summoned department checks in on site within this many minutes by default.
DEFAULT_ARRIVAL_MINUTES = 30
MAX_EXTENSION_DAYS = 250
MAX_STEP_LIMIT = {
    LimitUnit.WORKING_DAYS: Decimal(MAX_EXTENSION_DAYS),
    LimitUnit.WORKING_HOURS: Decimal(MAX_EXTENSION_DAYS * 7),  # 7 h: the default working day
}
MAX_URGENT_HOURS = Decimal(MAX_EXTENSION_DAYS * 24)


def _limit_field(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )


class CategoryQuerySet(models.QuerySet):
    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True)

    def major_classes(self) -> CategoryQuerySet:
        return self.filter(parent__isnull=True)

    def subcategories(self) -> CategoryQuerySet:
        """Sub-categories (the level a case is filed under), active or not."""
        return self.filter(parent__isnull=False)

    def fileable(self) -> CategoryQuerySet:
        """What a case can be filed or re-filed under now: an active sub-category of an
        active major class."""
        return self.subcategories().filter(is_active=True, parent__is_active=True)


class Category(models.Model):
    """案件类别: a major class (大类, ``parent`` empty) or a sub-category (小类).

    Contract: ``code`` is unique, starts with ``family``; a major class has 3 characters and
    no parent, a sub-category 5 characters, a major class of the same family as parent and
    the parent's code as prefix. Limits, priority, conditions, photo requirements and the
    default department kind are set on sub-categories only (``clean`` enforces both).
    """

    family = models.CharField(_("family"), max_length=1, choices=CategoryFamily.choices)
    code = models.CharField(
        _("code"), max_length=5, unique=True, validators=[category_code_validator]
    )
    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"parent__isnull": True},
        verbose_name=_("major class (大类)"),
        help_text=_("Leave empty for a major class."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive categories are not offered for new cases.")
    )
    sort_order = models.PositiveSmallIntegerField(
        _("sort order"), default=0, help_text=_("Order among siblings in pickers, then by code.")
    )
    public = models.BooleanField(
        _("residents may report"),
        default=False,
        db_default=False,
        help_text=_(
            "Offered on the resident portal and Open311, and shown on the public map. Leave "
            "off for sensitive service categories (elderly, disability, assistance, disputes)."
        ),
    )

    specialty = models.ForeignKey(
        Specialty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="categories",
        verbose_name=_("specialty (专长)"),
        help_text=_(
            "Service categories only: such cases go to the functional worker of this specialty "
            "serving the cell. Set on a major class, it holds for its sub-categories unless "
            "one names its own."
        ),
    )

    # --- sub-category only ---------------------------------------------------------------
    default_priority = models.CharField(
        _("default priority"), max_length=8, choices=Priority.choices, blank=True
    )
    accept_limit = _limit_field(_("acceptance limit (立案时限)"))
    dispatch_limit = _limit_field(_("dispatch limit (派遣时限)"))
    handle_limit = _limit_field(_("handling limit (处置时限)"))
    verify_limit = _limit_field(_("verification limit (核查时限)"))
    limit_unit = models.CharField(
        _("limit unit"),
        max_length=16,
        choices=[
            (LimitUnit.WORKING_HOURS.value, LimitUnit.WORKING_HOURS.label),
            (LimitUnit.WORKING_DAYS.value, LimitUnit.WORKING_DAYS.label),
        ],
        blank=True,
        help_text=_("Unit of the four step limits above."),
    )
    urgent_limit_hours = _limit_field(_("urgent limit per step (calendar hours)"))
    max_extension_days = models.PositiveSmallIntegerField(
        _("maximum extension (working days)"),
        default=DEFAULT_MAX_EXTENSION_DAYS,
        db_default=DEFAULT_MAX_EXTENSION_DAYS,  # rows the standard-set migration writes
        validators=[MinValueValidator(1), MaxValueValidator(MAX_EXTENSION_DAYS)],
        help_text=_(
            "An extension (延期) may move the handling deadline by at most this many working "
            "days past the current one."
        ),
    )
    # 吹哨: how soon a summoned department must check in on site (报到) for this category.
    arrival_minutes = models.PositiveSmallIntegerField(
        _("summons arrival limit (minutes)"),
        default=DEFAULT_ARRIVAL_MINUTES,
        db_default=DEFAULT_ARRIVAL_MINUTES,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
        help_text=_("A department summoned to the site (吹哨) must check in (报到) within this."),
    )
    acceptance_condition = models.TextField(_("acceptance condition (立案条件)"), blank=True)
    closing_condition = models.TextField(_("closing condition (结案条件)"), blank=True)
    requires_result_photo = models.BooleanField(
        _("result photo required"),
        default=False,
        help_text=_("The handler must attach a photo when reporting the result."),
    )
    requires_verification_photo = models.BooleanField(
        _("verification photo required"),
        default=False,
        help_text=_("The verifier must attach an on-site photo."),
    )
    default_department_kind = models.CharField(
        _("default department kind"),
        max_length=24,
        choices=DepartmentKind.choices,
        blank=True,
        help_text=_("Used when seeding routing rules for a territory."),
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("category (案件类别)")
        verbose_name_plural = _("categories (案件类别)")
        ordering = ["family", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_major(self) -> bool:
        return self.parent_id is None

    @property
    def is_service(self) -> bool:
        """民生服务: a public-service request rather than a problem to fix."""
        return self.family == CategoryFamily.SERVICE

    @property
    def routing_specialty_id(self) -> int | None:
        """The specialty a case of this category needs: its own, else its major class's."""
        if self.specialty_id or self.parent_id is None:
            return self.specialty_id
        return self.parent.specialty_id

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}

        def add(field: str, message) -> None:
            errors.setdefault(field, []).append(message)

        if self.specialty_id and self.family != CategoryFamily.SERVICE:
            add("specialty", _("Only service (S) categories name a specialty."))

        code = self.code or ""
        if re.fullmatch(CODE_RE, code):  # a malformed code is reported by the validator
            if self.family and code[0] != self.family:
                add(
                    "code",
                    _("A %(family)s category's code starts with %(letter)s.")
                    % {"family": CategoryFamily(self.family).label, "letter": self.family},
                )
            if "00" in (code[1:3], code[3:5]):
                add("code", _("Each 2-digit part of a code runs from 01 to 99."))
            if self.parent_id is None and len(code) != 3:
                add(
                    "code",
                    _(
                        "A major class has a 3-character code (e.g. C01); choose its major class "
                        "to make this a sub-category."
                    ),
                )
            if self.parent_id is not None:
                parent = self.parent
                if len(code) != 5:
                    add("code", _("A sub-category has a 5-character code (e.g. C0101)."))
                elif not code.startswith(parent.code):
                    add(
                        "code",
                        _("A sub-category of %(parent)s has a code starting with %(prefix)s.")
                        % {"parent": parent, "prefix": parent.code},
                    )
        if self.parent_id is not None:
            parent = self.parent
            if parent.parent_id is not None:
                add("parent", _("Categories have two levels: choose a major class."))
            if self.family and parent.family != self.family:
                add("parent", _("The major class belongs to another family."))
            for field in SUBCATEGORY_REQUIRED:
                if getattr(self, field) in (None, ""):
                    add(field, _("Every sub-category sets this."))
            for field, cap in self._limit_caps():
                if getattr(self, field) is not None and getattr(self, field) > cap:
                    add(field, _("At most %(cap)s: no step takes longer.") % {"cap": cap})
        else:
            for field, empty in SUBCATEGORY_FIELDS.items():
                if getattr(self, field) != empty:
                    add(
                        field, _("Only sub-categories carry this; leave it empty on a major class.")
                    )
        if self.pk and self.parent_id is not None and self.children.exists():
            add("parent", _("This category has sub-categories, so it must stay a major class."))
        if errors:
            raise ValidationError(errors)

    def _limit_caps(self) -> list[tuple[str, Decimal]]:
        caps = [("urgent_limit_hours", MAX_URGENT_HOURS)]
        if cap := MAX_STEP_LIMIT.get(self.limit_unit):
            caps += [(field, cap) for field in LIMIT_STEPS.values()]
        return caps

    def limit_for(self, step: str, priority: str) -> tuple[Decimal, str]:
        """The time limit of ``step`` for a case of ``priority``, as ``(amount, unit)``.

        ``step`` is one of "accept", "dispatch", "handle", "verify". An urgent case gets
        ``urgent_limit_hours`` in ``LimitUnit.CALENDAR_HOURS`` for every step; any other
        priority gets the step's own limit in ``limit_unit``. Raises ``ValueError`` for an
        unknown step or priority, or on a category that has no limits (a major class).
        """
        if step not in LIMIT_STEPS:
            raise ValueError(f"unknown step {step!r}; expected one of {', '.join(LIMIT_STEPS)}")
        if priority not in Priority.values:
            raise ValueError(f"unknown priority {priority!r}")
        if priority == Priority.URGENT:
            amount, unit = self.urgent_limit_hours, LimitUnit.CALENDAR_HOURS.value
        else:
            amount, unit = getattr(self, LIMIT_STEPS[step]), self.limit_unit
        if amount is None or not unit:
            raise ValueError(f"category {self.code} has no {step} limit (is it a major class?)")
        return amount, unit


class RoutingRule(models.Model):
    """派遣规则: in this territory, cases of this sub-category go to this department.

    The territory is a district, a street of it, or a community of that street (``street``
    and ``community`` empty for the whole district). One rule per (category, territory);
    the narrowest active rule wins (``level``; ``cases.selectors.route_for``).
    """

    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        limit_choices_to={"parent__isnull": False},
        verbose_name=_("category (案件类别)"),
    )
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, related_name="routing_rules", verbose_name=_("district")
    )
    street = models.ForeignKey(
        Street,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("street"),
        help_text=_("Leave empty for a rule covering the whole district."),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("community"),
        help_text=_("Leave empty for a rule covering the whole street."),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        verbose_name=_("department (职能部门)"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule (派遣规则)")
        verbose_name_plural = _("routing rules (派遣规则)")
        ordering = ["category", "district", "street", "community"]
        # NULLs are distinct in a plain unique constraint, so each territory level gets its own.
        constraints = [
            models.UniqueConstraint(
                fields=["category", "district"],
                condition=Q(street__isnull=True, community__isnull=True),
                name="routing_rule_unique_district",
                violation_error_message=_("This category already has a rule for the district."),
            ),
            models.UniqueConstraint(
                fields=["category", "street"],
                condition=Q(street__isnull=False, community__isnull=True),
                name="routing_rule_unique_street",
                violation_error_message=_("This category already has a rule for the street."),
            ),
            models.UniqueConstraint(
                fields=["category", "community"],
                condition=Q(community__isnull=False),
                name="routing_rule_unique_community",
                violation_error_message=_("This category already has a rule for the community."),
            ),
            models.CheckConstraint(
                condition=Q(community__isnull=True) | Q(street__isnull=False),
                name="routing_rule_community_has_street",
            ),
        ]
        indexes = [models.Index(fields=["category", "is_active"], name="routing_rule_lookup_idx")]

    def __str__(self) -> str:
        territory = self.community or self.street or self.district
        return f"{self.category} @ {territory} → {self.department}"

    @property
    def level(self) -> int:
        """How narrow the rule's territory is: 2 a community, 1 a street, 0 the district.
        Among the rules covering a place, the narrowest wins."""
        return 2 if self.community_id else 1 if self.street_id else 0

    def covers(self, *, community_id: int, street_id: int, district_id: int) -> bool:
        """Is a place in that community, street and district inside the rule's territory?"""
        if self.community_id:
            return self.community_id == community_id
        if self.street_id:
            return self.street_id == street_id
        return self.district_id == district_id

    @property
    def territory(self) -> District | Street | Community:
        return self.community or self.street or self.district

    def clean(self) -> None:
        """Refuse a rule whose territory does not nest or whose department does not serve it."""
        super().clean()
        errors: dict[str, object] = {}
        if self.category_id and self.category.parent_id is None:
            errors["category"] = _("Route sub-categories, not major classes.")
        if self.street_id and self.district_id and self.street.district_id != self.district_id:
            errors["street"] = _("The street is not in the rule's district.")
        if self.community_id and self.community.street_id != self.street_id:
            errors["community"] = _(
                "Choose the community's street too; it must contain the community."
            )
        if (
            not errors.keys() & {"street", "community"}
            and self.department_id
            and self.district_id
            and not self.department.serves(
                district_id=self.district_id,
                street_id=self.street_id,
                community_id=self.community_id,
            )
        ):
            errors["department"] = _(
                "%(department)s does not serve %(territory)s; choose a department whose "
                "territory contains the rule's."
            ) % {"department": self.department, "territory": self.territory}
        if errors:
            raise ValidationError(errors)
