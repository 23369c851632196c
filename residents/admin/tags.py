"""Admin for service tags: the sensitive flag is set here; counts cover only the residents
the user may see (a count is all an overseer learns of a sensitive tag)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import Tag
from ..selectors import resident_scope_q


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sensitive", "builtin", "visit_every_days", "resident_count")
    list_filter = ("sensitive", "builtin")
    search_fields = ("name", "code")
    readonly_fields = ("builtin",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                resident_count=Count(
                    "residents", filter=resident_scope_q(request.user, "residents__")
                )
            )
        )

    @admin.display(description=_("residents"), ordering="resident_count")
    def resident_count(self, tag: Tag) -> int:
        return tag.resident_count

    def get_readonly_fields(self, request: HttpRequest, obj: Tag | None = None):
        # Other code may rely on a built-in tag's code.
        return ("code", "builtin") if obj is not None and obj.builtin else ("builtin",)

    def has_delete_permission(self, request: HttpRequest, obj: Tag | None = None) -> bool:
        return not (obj is not None and obj.builtin) and super().has_delete_permission(request, obj)
