"""Territory (区 → 街道 → 社区 → 网格), departments and assignments.

Codes: a district has the 6-digit administrative code; a street, a community and a grid cell
each add 3 digits, so a cell's full code is 15 digits (``110105`` + ``001`` + ``002`` +
``007``). Full codes are composed on save and unique. Geometry is GeoJSON (WGS-84) on the
row, with indexed bounding-box columns for pre-filtering and the area in m².
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .geometry import AREA_TOLERANCE_M2, area_m2, describe_point, footprint, parse_polygon

district_code_validator = RegexValidator(
    r"^[1-9]\d{3}(?!00)\d{2}$",
    _("A district code is 6 digits (the county-level administrative code, e.g. 110105)."),
)
part_code_validator = RegexValidator(
    r"^(?!000)\d{3}$", _("This code is 3 digits from 001 to 999 (e.g. 007).")
)


class CommunityType(models.TextChoices):
    """社区类型 — drives differentiated assessment (DESIGN §2, §5)."""

    WORK_UNIT = "work_unit", _("单位型 work-unit")
    NEIGHBOURHOOD = "neighbourhood", _("街坊型 traditional neighbourhood")
    FRINGE = "fringe", _("城郊边缘型 urban fringe")
    COMMERCIAL = "commercial", _("商品房物业型 commercial housing")
    MIXED = "mixed", _("混合型 mixed")
    ETHNIC_CULTURAL = "ethnic_cultural", _("民族宗教文化型 ethnic/religious culture")
    MIGRANT = "migrant", _("流动人口聚居型 migrant-heavy")


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("专职网格员 grid worker")
    FUNCTIONAL_WORKER = "functional_worker", _("功能性网格员 functional worker")
    VOLUNTEER = "volunteer", _("志愿者 volunteer")
    STREET_STAFF = "street_staff", _("街道受理员 street staff")
    HANDLER = "handler", _("处置人员 handler")
    DISTRICT_ADMIN = "district_admin", _("区级管理员 district administrator")


class ScopeLevel(models.TextChoices):
    DISTRICT = "district", _("district")
    STREET = "street", _("street")
    COMMUNITY = "community", _("community")
    CELL = "cell", _("grid cell")


class Territory(models.Model):
    """Shared columns of every territory level."""

    name = models.CharField(_("name"), max_length=64)
    geometry = models.JSONField(_("geometry (GeoJSON, WGS-84)"), null=True, blank=True)
    min_lon = models.FloatField(null=True, editable=False)
    min_lat = models.FloatField(null=True, editable=False)
    max_lon = models.FloatField(null=True, editable=False)
    max_lat = models.FloatField(null=True, editable=False)
    area_m2 = models.FloatField(_("area (m²)"), null=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    geometry_required = False

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        fields = (
            footprint(parse_polygon(self.geometry)).as_fields()
            if self.geometry
            else dict.fromkeys(("min_lon", "min_lat", "max_lon", "max_lat", "area_m2"))
        )
        for key, value in fields.items():
            setattr(self, key, value)
        self.compose_code()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *fields, "full_code", "updated_at"}
        super().save(*args, **kwargs)

    def shape(self):
        return parse_polygon(self.geometry) if self.geometry else None

    def clean(self) -> None:
        super().clean()
        if self.geometry in (None, "", {}):
            if self.geometry_required:
                raise ValidationError({"geometry": _("A geometry is required at this level.")})
            return
        try:
            geom = parse_polygon(self.geometry)
        except ValidationError as exc:
            raise ValidationError({"geometry": exc.messages}) from exc
        self.check_within_parent(geom)

    def check_within_parent(self, geom) -> None:
        """Refuse a geometry that sticks out of the parent's (where the parent has one)."""
        try:
            parent = self.parent_territory()
        except ObjectDoesNotExist:  # no parent chosen yet: the form reports that field
            return
        if parent is None or not parent.geometry:
            return
        outside = geom.difference(parent.shape())
        if area_m2(outside) > AREA_TOLERANCE_M2:
            raise ValidationError(
                {
                    "geometry": _(
                        "The shape lies outside %(parent)s by %(area).1f m² around (%(point)s)."
                    )
                    % {"parent": parent, "area": area_m2(outside), "point": describe_point(outside)}
                }
            )

    def parent_territory(self) -> Territory | None:
        return None

    def compose_code(self) -> None:
        """Set ``full_code`` from the parent's full code and this level's code."""
        self.full_code = self.parent_territory().full_code + self.code


class District(Territory):
    """区 — the county-level unit; ``code`` is its 6-digit administrative code."""

    code = models.CharField(
        _("code"), max_length=6, unique=True, validators=[district_code_validator]
    )
    full_code = models.CharField(_("full code"), max_length=6, unique=True, editable=False)

    class Meta:
        verbose_name = _("district (区)")
        verbose_name_plural = _("districts (区)")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def compose_code(self) -> None:
        self.full_code = self.code


class Street(Territory):
    """街道/乡镇."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets")
    code = models.CharField(_("code"), max_length=3, validators=[part_code_validator])
    full_code = models.CharField(_("full code"), max_length=9, unique=True, editable=False)

    class Meta:
        verbose_name = _("street (街道)")
        verbose_name_plural = _("streets (街道)")
        ordering = ["full_code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="street_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.full_code})"

    def parent_territory(self) -> District:
        return self.district


class Community(Territory):
    """社区/村, with the type that selects its assessment weights."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities")
    code = models.CharField(_("code"), max_length=3, validators=[part_code_validator])
    full_code = models.CharField(_("full code"), max_length=12, unique=True, editable=False)
    type = models.CharField(
        _("community type"),
        max_length=20,
        choices=CommunityType.choices,
        default=CommunityType.MIXED,
    )

    geometry_required = True

    class Meta:
        verbose_name = _("community (社区)")
        verbose_name_plural = _("communities (社区)")
        ordering = ["full_code"]
        constraints = [
            models.UniqueConstraint(fields=["street", "code"], name="community_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.full_code})"

    def parent_territory(self) -> Street:
        return self.street


class GridCell(Territory):
    """网格 — the unit a grid worker walks. ``full_code`` is the 15-digit cell code."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="cells")
    code = models.CharField(_("code"), max_length=3, validators=[part_code_validator])
    full_code = models.CharField(_("full code"), max_length=15, unique=True, editable=False)

    geometry_required = True

    class Meta:
        verbose_name = _("grid cell (网格)")
        verbose_name_plural = _("grid cells (网格)")
        ordering = ["full_code"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="cell_code_unique")
        ]
        indexes = [
            models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"], name="cell_bbox_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.full_code})"

    def parent_territory(self) -> Community:
        return self.community

    def check_within_parent(self, geom) -> None:
        super().check_within_parent(geom)
        # Cells of one community must not overlap (无缝覆盖, no overlaps). Gaps are reported by
        # check_coverage, since a community is drawn one cell at a time.
        siblings = GridCell.objects.filter(
            community_id=self.community_id,
            min_lon__lte=geom.bounds[2],
            max_lon__gte=geom.bounds[0],
            min_lat__lte=geom.bounds[3],
            max_lat__gte=geom.bounds[1],
        ).exclude(pk=self.pk)
        for sibling in siblings:
            overlap = geom.intersection(sibling.shape())
            if area_m2(overlap) > AREA_TOLERANCE_M2:
                raise ValidationError(
                    {
                        "geometry": _(
                            "The shape overlaps cell %(cell)s by %(area).1f m² around (%(point)s)."
                        )
                        % {
                            "cell": sibling,
                            "area": area_m2(overlap),
                            "point": describe_point(overlap),
                        }
                    }
                )


class DepartmentKind(models.TextChoices):
    URBAN_MANAGEMENT = "urban_management", _("城管 urban management")
    FIRE = "fire", _("消防 fire service")
    MARKET_REGULATION = "market_regulation", _("市场监管 market regulation")
    POLICE = "police", _("公安 police")
    HOUSING = "housing", _("住建 housing and construction")
    PROPERTY_MANAGEMENT = "property_management", _("物业公司 property management")
    RESIDENTS_COMMITTEE = "residents_committee", _("居委会 residents' committee")
    OWNERS_COMMITTEE = "owners_committee", _("业委会 owners' committee")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织 social organisation")
    CIVIL_AFFAIRS = "civil_affairs", _("民政 civil affairs")
    HEALTH = "health", _("卫健 health")


class Department(models.Model):
    """A handler organisation and the territory it serves (a district, or narrower)."""

    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=24, choices=DepartmentKind.choices)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="departments")
    street = models.ForeignKey(
        Street,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="departments",
        help_text=_("Leave empty for a department that serves the whole district."),
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="departments"
    )
    phone = models.CharField(_("duty phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department (职能部门)")
        verbose_name_plural = _("departments (职能部门)")
        ordering = ["district", "kind", "name"]

    def __str__(self) -> str:
        return self.name

    def serves(
        self, *, district_id: int, street_id: int | None = None, community_id: int | None = None
    ) -> bool:
        """Does this department serve that territory? It serves its own territory and
        everything inside it (a district-wide department serves every street of it)."""
        return (
            self.district_id == district_id
            and self.street_id in (None, street_id)
            and self.community_id in (None, community_id)
        )

    def clean(self) -> None:
        super().clean()
        if self.street_id and self.street.district_id != self.district_id:
            raise ValidationError({"street": _("The street is not in this department's district.")})
        if self.community_id and self.community.street_id != self.street_id:
            raise ValidationError(
                {
                    "community": _(
                        "Choose the community's street too; it must contain the community."
                    )
                }
            )


class Specialty(models.Model):
    """专长 — what a functional worker (功能性网格员) serves: 教育, 医疗, 养老, 助残 …

    A configurable list (built-in rows come from a data migration; districts add their own in
    the admin). Service categories name the specialty they need (``cases.Category``), and a
    service case in a cell goes to the functional worker of that specialty serving the cell
    (``cases.selectors.functional_worker_for``).
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("specialty (专长)")
        verbose_name_plural = _("specialties (专长)")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class AssignmentQuerySet(models.QuerySet):
    def active(self, on: date | None = None) -> AssignmentQuerySet:
        on = on or timezone.localdate()
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on), valid_from__lte=on)


# Which scope levels make sense for each role (DESIGN §1).
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    Role.GRID_WORKER: (ScopeLevel.CELL, ScopeLevel.COMMUNITY),
    Role.FUNCTIONAL_WORKER: (ScopeLevel.CELL, ScopeLevel.COMMUNITY, ScopeLevel.STREET),
    Role.VOLUNTEER: (ScopeLevel.CELL, ScopeLevel.COMMUNITY),
    Role.STREET_STAFF: (ScopeLevel.STREET,),
    Role.HANDLER: tuple(ScopeLevel.values),
    Role.DISTRICT_ADMIN: (ScopeLevel.DISTRICT,),
}


class Assignment(models.Model):
    """Who serves where, in which role, from when to when. Every permission starts here."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    scope = models.CharField(_("scope"), max_length=10, choices=ScopeLevel.choices)
    district = models.ForeignKey(District, on_delete=models.CASCADE, null=True, blank=True)
    street = models.ForeignKey(Street, on_delete=models.CASCADE, null=True, blank=True)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, null=True, blank=True)
    cell = models.ForeignKey(GridCell, on_delete=models.CASCADE, null=True, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        help_text=_("Handlers only: the department they act for."),
    )
    specialty = models.ForeignKey(
        Specialty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("specialty (专长)"),
        help_text=_(
            "Functional workers only: the service cases of this specialty in the assigned "
            "cells, community or street come to them. To serve several cells, give one "
            "assignment per cell (or one for the whole community)."
        ),
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment (任职)")
        verbose_name_plural = _("assignments (任职)")
        indexes = [models.Index(fields=["user", "valid_from", "valid_to"])]
        constraints = [
            models.CheckConstraint(
                name="assignment_scope_matches_target",
                condition=(
                    Q(
                        scope="district",
                        district__isnull=False,
                        street__isnull=True,
                        community__isnull=True,
                        cell__isnull=True,
                    )
                    | Q(
                        scope="street",
                        district__isnull=True,
                        street__isnull=False,
                        community__isnull=True,
                        cell__isnull=True,
                    )
                    | Q(
                        scope="community",
                        district__isnull=True,
                        street__isnull=True,
                        community__isnull=False,
                        cell__isnull=True,
                    )
                    | Q(
                        scope="cell",
                        district__isnull=True,
                        street__isnull=True,
                        community__isnull=True,
                        cell__isnull=False,
                    )
                ),
            ),
            models.CheckConstraint(
                name="assignment_handler_has_department",
                condition=~Q(role="handler") | Q(department__isnull=False),
            ),
            models.CheckConstraint(
                name="assignment_valid_dates_ordered",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.target}"

    @property
    def target(self):
        return getattr(self, self.scope, None) if self.scope else None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        levels = [level for level in ScopeLevel.values if getattr(self, f"{level}_id")]
        if self.scope and levels != [self.scope]:
            errors[self.scope] = _(
                "Choose exactly one %(scope)s, and nothing at another level."
            ) % {"scope": ScopeLevel(self.scope).label}
        if self.role and self.scope and self.scope not in ROLE_SCOPES[self.role]:
            errors["scope"] = _("A %(role)s is assigned to a %(allowed)s.") % {
                "role": Role(self.role).label,
                "allowed": " / ".join(str(ScopeLevel(s).label) for s in ROLE_SCOPES[self.role]),
            }
        if self.role == Role.HANDLER and not self.department_id:
            errors["department"] = _("A handler acts for a department; choose one.")
        if self.role != Role.HANDLER and self.department_id:
            errors["department"] = _("Only handlers act for a department.")
        if self.role != Role.FUNCTIONAL_WORKER and self.specialty_id:
            errors["specialty"] = _("Only functional workers carry a specialty.")
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The end date is before the start date.")
        if errors:
            raise ValidationError(errors)
