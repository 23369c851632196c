"""Admin for case categories and routing rules.

Code, limit and territory checks live in the models' ``clean`` (cases.models), so the admin
and every other writer show the same messages.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from grids.admin_scope import ScopedAdminMixin
from grids.models import Specialty

from .models import Case, CaseEvent, Category, RoutingRule
from .selectors import cases_visible_to


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
        if self.value() and self.value().isdigit():  # a hand-edited URL must not be a 500
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
        "specialty",
        "public",
        "is_active",
    )
    list_filter = ("family", MajorClassFilter, "default_priority", "public", "is_active")
    list_select_related = ("parent", "specialty")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "specialty":  # a specialty switched off routes nothing
            kwargs["queryset"] = Specialty.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
                    "max_extension_days",
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
                    "specialty",
                    "public",
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


class CaseEventInline(admin.TabularInline):
    """The case's timeline, read-only: events are written by the transition services only."""

    model = CaseEvent
    fields = ("seq", "action", "from_status", "to_status", "actor", "at", "note", "payload")
    readonly_fields = fields
    ordering = ("seq",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_view_permission(self, request, obj=None) -> bool:
        # The timeline is part of the case: whoever may view the case sees it.
        return request.user.has_perm("cases.view_case") or request.user.has_perm(
            "cases.change_case"
        )


@admin.register(Case)
class CaseAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Cases in the admin's scope (``cases_visible_to``). Status and the workflow fields are
    read-only: state changes go through ``workflows.services``."""

    list_display = (
        "number",
        "title",
        "category",
        "status",
        "priority",
        "street",
        "cell",
        "department",
        "due_at",
        "overdue",
        "escalation_level",
    )
    list_filter = ("status", "priority", "source", "overdue", "escalation_level", "street")
    list_select_related = ("category", "street", "cell", "department")
    search_fields = ("number", "title")
    date_hierarchy = "created_at"
    inlines = (CaseEventInline,)
    # Only descriptive text is editable: every replayed field (status, category, priority,
    # people) changes through workflows.services, which writes the event that records it.
    readonly_fields = (
        "number",
        "status",
        "category",
        "priority",
        "source",
        "lon",
        "lat",
        "cell",
        "street",
        "reporter",
        "department",
        "handler",
        "verifier",
        "cross_check",
        "step_started_at",
        "due_at",
        "remind_at",
        "requested_due_at",
        "overdue",
        "escalation_level",
        "rework_count",
        "return_count",
        "binding",
        "review_at",
        "suspended_seconds",
        "duplicate_of",
        "accepted_at",
        "dispatched_at",
        "started_at",
        "reported_at",
        "closed_at",
        "created_at",
        "version",
    )
    fields = ("title", "description", "address", *readonly_fields)

    def get_queryset(self, request):
        return cases_visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # cases are filed through cases.services.create_case

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a case and its timeline are a record; reject or merge instead

    def save_model(self, request, obj, form, change) -> None:
        # Write only the descriptive text: a full save would rewrite status, version and the
        # deadlines from the row this request loaded, undoing a transition committed meanwhile.
        obj.save(
            update_fields=[f for f in ("title", "description", "address") if f in form.changed_data]
        )
