from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from cases.selectors import case_scope_q
from grids.admin_scope import ScopedAdminMixin

from .models import GradingScheme, RolledDay, Satisfaction


@admin.register(GradingScheme)
class GradingSchemeAdmin(admin.ModelAdmin):
    """考核方案: weights, targets and grade thresholds per community type (DESIGN §5)."""

    list_display = ("name", "community_type", "grade_a", "grade_b", "grade_c", "grade_d")
    fieldsets = (
        (None, {"fields": ("name", "community_type")}),
        (
            _("Weights"),
            {
                "fields": (
                    "weight_closing",
                    "weight_on_time",
                    "weight_rework",
                    "weight_satisfaction",
                    "weight_self_discovery",
                )
            },
        ),
        (
            _("Targets (the rate that earns full marks)"),
            {
                "fields": (
                    "target_closing",
                    "target_on_time",
                    "target_rework",
                    "target_satisfaction",
                    "target_self_discovery",
                )
            },
        ),
        (_("Grade thresholds"), {"fields": ("grade_a", "grade_b", "grade_c", "grade_d")}),
    )


@admin.register(Satisfaction)
class SatisfactionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Ratings of the cases the user may see (``case_scope_q``). The ``token`` is the
    secret of the reporter's rating link: never shown here, to anyone."""

    list_display = ("case", "score", "channel", "entered_by", "rated_at")
    list_filter = ("channel", "score")
    list_select_related = ("case", "entered_by")
    exclude = ("token",)
    readonly_fields = (
        "case",
        "score",
        "comment",
        "channel",
        "entered_by",
        "created_at",
        "rated_at",
    )

    def get_queryset(self, request):
        cases = Case.objects.filter(case_scope_q(request.user))
        return super().get_queryset(request).filter(case__in=cases)

    def has_add_permission(self, request) -> bool:  # ratings come from the link or a callback
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RolledDay)
class RolledDayAdmin(admin.ModelAdmin):
    list_display = ("day", "rolled_at", "cell_rows", "department_rows")
    readonly_fields = ("day", "rolled_at", "cell_rows", "department_rows")

    def has_add_permission(self, request) -> bool:
        return False
