"""Admin for territory, departments and assignments.

Invalid GeoJSON and bad codes are refused by the models' validation (grids.models), so the
admin and every other writer show the same message.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_scope import ScopedAdminMixin
from .coverage import check_community
from .models import Assignment, Community, Department, District, GridCell, Specialty, Street
from .selectors import (
    TERRITORIAL_ROLES,
    assignment_scope_q,
    department_scope_q,
    territory_scope_q,
    users_visible_to,
)

FOOTPRINT = ("area_m2", "min_lon", "min_lat", "max_lon", "max_lat", "full_code")


class TerritoryAdmin(admin.ModelAdmin):
    search_fields = ("name", "full_code")
    readonly_fields = FOOTPRINT

    def get_readonly_fields(self, request, obj=None):
        # A code is an identity other systems file under; it is not edited after creation.
        return (*self.readonly_fields, "code") if obj else self.readonly_fields


@admin.register(District)
class DistrictAdmin(TerritoryAdmin):
    list_display = ("code", "name", "area_m2")


@admin.register(Street)
class StreetAdmin(TerritoryAdmin):
    list_display = ("full_code", "name", "district", "area_m2")
    list_filter = ("district",)
    list_select_related = ("district",)
    autocomplete_fields = ("district",)


@admin.register(Community)
class CommunityAdmin(TerritoryAdmin):
    list_display = ("full_code", "name", "type", "street", "area_m2")
    list_filter = ("type", "street__district", "street")
    list_select_related = ("street__district",)
    autocomplete_fields = ("street",)
    actions = ["check_coverage"]

    @admin.action(description=_("Check that the cells tile the community (gaps, overlaps)"))
    def check_coverage(self, request, queryset):
        problems = 0
        for community in queryset.select_related("street"):
            for problem in check_community(community):
                problems += 1
                self.message_user(request, problem.message(), messages.ERROR)
        if not problems:
            self.message_user(
                request,
                ngettext(
                    "%(n)d community checked: its cells tile it with no gap or overlap.",
                    "%(n)d communities checked: their cells tile them with no gap or overlap.",
                    queryset.count(),
                )
                % {"n": queryset.count()},
                messages.SUCCESS,
            )


@admin.register(GridCell)
class GridCellAdmin(TerritoryAdmin):
    list_display = ("full_code", "name", "community", "area_m2")
    list_filter = ("community__type", "community__street__district", "community__street")
    list_select_related = ("community__street__district",)
    autocomplete_fields = ("community",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "district", "street", "community", "is_active")
    list_filter = ("kind", "is_active", "district", "street")
    list_select_related = ("district", "street", "community")
    search_fields = ("name",)
    autocomplete_fields = ("district", "street", "community")


ASSIGNMENT_FIELDS = (
    "user",
    "role",
    "scope",
    "district",
    "street",
    "community",
    "cell",
    "department",
    "specialty",
    "valid_from",
    "valid_to",
)


class AssignmentScopeMixin:
    """Assignments within the user's territory, and only choices within it: a street's staff
    may assign people to their street, its communities and cells (and departments serving
    there), never to the district or another street — nor themselves above their own
    assignment. Superusers choose from everything."""

    TERRITORY_FIELDS = ("district", "street", "community", "cell")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(assignment_scope_q(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Set even for autocomplete fields: without a queryset Django would accept any id.
        user = request.user
        if db_field.name in self.TERRITORY_FIELDS:
            kwargs["queryset"] = db_field.related_model.objects.filter(
                territory_scope_q(user, db_field.name, roles=TERRITORIAL_ROLES)
            )
        elif db_field.name == "department":
            kwargs["queryset"] = Department.objects.filter(department_scope_q(user))
        elif db_field.name == "user":
            kwargs["queryset"] = users_visible_to(user)
        elif db_field.name == "specialty":
            kwargs["queryset"] = Specialty.objects.filter(is_active=True)  # others route nothing
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdminMixin, AssignmentScopeMixin, admin.ModelAdmin):
    list_display = (
        "user",
        "role",
        "scope",
        "target",
        "department",
        "specialty",
        "valid_from",
        "valid_to",
    )
    list_filter = ("role", "scope", "specialty", "valid_from")
    list_select_related = (
        "user",
        "district",
        "street",
        "community",
        "cell",
        "department",
        "specialty",
    )
    search_fields = ("user__username", "user__display_name", "cell__full_code", "street__name")
    autocomplete_fields = ("user", "district", "street", "community", "cell", "department")
    fields = ASSIGNMENT_FIELDS


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    """Configuration: the list of functional workers' specialties (no personal data)."""

    list_display = ("code", "name", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    search_fields = ("code", "name")


class AssignmentInline(AssignmentScopeMixin, admin.TabularInline):
    model = Assignment
    fk_name = "user"
    extra = 0
    fields = ASSIGNMENT_FIELDS[1:]
    autocomplete_fields = ("district", "street", "community", "cell", "department")
