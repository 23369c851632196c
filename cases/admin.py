"""Admin for case categories and routing rules.

Code, limit and territory checks live in the models' ``clean`` (cases.models), so the admin
and every other writer show the same messages.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Category, RoutingRule


class MajorClassFilter(admin.SimpleListFilter):
    """Filter by major class (大类), listing only major classes rather than every category."""

    title = _("major class (大类)")
    parameter_name = "parent"

    def lookups(self, request, model_admin):
        return [
            ("none", _("major classes only")),
            *(
                (str(pk), f"{code} {name}")
                for pk, code, name in Category.objects.major_classes().values_list(
                    "pk", "code", "name"
                )
            ),
        ]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(parent__isnull=True)
        if self.value():
            return queryset.filter(parent_id=self.value())
        return queryset


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "family",
        "parent",
        "default_priority",
        "accept_limit",
        "dispatch_limit",
        "handle_limit",
        "verify_limit",
        "limit_unit",
        "urgent_limit_hours",
        "default_department_kind",
        "is_active",
    )
    list_filter = ("family", MajorClassFilter, "default_priority", "is_active")
    list_select_related = ("parent",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    fieldsets = (
        (None, {"fields": ("family", "code", "name", "parent", "is_active", "sort_order")}),
        (
            _("Sub-category: priority and time limits"),
            {
                "fields": (
                    "default_priority",
                    ("accept_limit", "dispatch_limit", "handle_limit", "verify_limit"),
                    "limit_unit",
                    "urgent_limit_hours",
                )
            },
        ),
        (
            _("Sub-category: conditions, evidence and routing"),
            {
                "fields": (
                    "acceptance_condition",
                    "closing_condition",
                    "requires_result_photo",
                    "requires_verification_photo",
                    "default_department_kind",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # A code is an identity cases and reports file under; it is not edited after creation.
        return ("code", "family") if obj else ()


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "district", "street", "community", "department", "is_active")
    list_filter = ("is_active", "category__family", "district", "department__kind")
    list_select_related = ("category", "district", "street", "community", "department")
    search_fields = ("category__code", "category__name", "department__name")
    autocomplete_fields = ("category", "district", "street", "community", "department")
