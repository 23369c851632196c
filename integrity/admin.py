"""Admin: the flag queue read through the same scope as the review page. Status changes
only through the review services (the page), so the admin shows, filters and searches."""

from __future__ import annotations

from django.contrib import admin

from grids.admin_scope import ScopedAdminMixin

from .models import IntegrityFlag, PhotoHash
from .selectors import flag_scope_q


@admin.register(IntegrityFlag)
class IntegrityFlagAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "rule",
        "case",
        "subject",
        "status",
        "dismiss_reason",
        "reviewer",
        "created_at",
    )
    list_filter = ("rule", "status", "dismiss_reason", "rule_version", "created_at")
    list_select_related = ("case", "subject", "reviewer")
    search_fields = ("case__number", "subject__username", "review_note")
    readonly_fields = [f.name for f in IntegrityFlag._meta.fields]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(flag_scope_q(request.user))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PhotoHash)
class PhotoHashAdmin(admin.ModelAdmin):
    list_display = ("attachment_id", "hex", "informative", "width", "height", "computed_at")
    list_filter = ("informative",)
    search_fields = ("sha256",)
    # The binary fingerprints (~25 KB of keypoints) mean nothing on screen.
    exclude = ("variants", "features")
    readonly_fields = [
        f.name for f in PhotoHash._meta.fields if f.name not in ("variants", "features")
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
