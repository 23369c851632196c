"""Read-only admins of the access logs: whole views (``PIIAccessLog``) and list views,
exports and whole-number searches (``PIIListLog``). Scoped by ``selectors``: a superuser
reads all, a district admin the rows of everyone working in their district, anyone else
their own."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from grids.admin_scope import ScopedAdminMixin

from ..models import PIIAccessLog, PIIListLog
from ..selectors import list_logs_visible_to, reveal_logs_visible_to


class ReadOnlyLogAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The logs are written by services and never edited."""

    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PIIAccessLog)
class PIIAccessLogAdmin(ReadOnlyLogAdmin):
    list_display = ("at", "user", "resident", "fields", "reason")
    list_filter = ("at",)
    # Not by the resident's name: the log would become an unlogged way to confirm names.
    search_fields = ("user__username", "reason")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PIIAccessLog]:
        return reveal_logs_visible_to(request.user)


@admin.register(PIIListLog)
class PIIListLogAdmin(ReadOnlyLogAdmin):
    list_display = ("at", "user", "kind", "where", "search_kind", "rows", "refused", "filters")
    list_filter = ("kind", "search_kind", "refused", "at")
    search_fields = ("user__username", "where", "search_hash")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PIIListLog]:
        return list_logs_visible_to(request.user)
