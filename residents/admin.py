"""Admin for households, residents, tags and the access log.

Lists are scoped by the selectors (DESIGN §6) and show personal data masked only; the change
form never renders it whole (``ResidentForm``). Seeing it whole is a logged action for
superusers and district admins.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from grids.admin_scope import ScopedAdminMixin

from .forms import ResidentForm, RevealReasonForm
from .models import (
    ELDERLY_AGE,
    Household,
    PIIAccessLog,
    Resident,
    Tag,
    Visit,
    id_number_hash_of,
    phone_hash_of,
    years_before,
)
from .selectors import (
    access_logs_visible_to,
    can_reveal_pii_in_bulk,
    cells_open_to,
    households_visible_to,
    residents_visible_to,
)
from .services import reveal_resident_pii
from .validators import looks_like_id_number

# A bulk reveal is for a visit list, not an export: larger selections are refused.
MAX_REVEAL = 20


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "builtin", "visit_every_days", "resident_count")
    search_fields = ("name", "code")
    readonly_fields = ("builtin",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(resident_count=Count("residents"))

    @admin.display(description=_("residents"), ordering="resident_count")
    def resident_count(self, tag: Tag) -> int:
        return tag.resident_count

    def get_readonly_fields(self, request: HttpRequest, obj: Tag | None = None):
        # Other code may rely on a built-in tag's code.
        return ("code", "builtin") if obj is not None and obj.builtin else ("builtin",)

    def has_delete_permission(self, request: HttpRequest, obj: Tag | None = None) -> bool:
        return not (obj is not None and obj.builtin) and super().has_delete_permission(request, obj)


class VisitInline(admin.TabularInline):
    """Visits (走访) are logged from the worker's home page; here they are read."""

    model = Visit
    extra = 0
    fields = ("visited_at", "worker", "note")
    readonly_fields = fields
    can_delete = False
    ordering = ("-visited_at",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Household)
class HouseholdAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("address", "cell", "community", "created_at")
    list_select_related = ("cell__community",)
    list_filter = (
        ("cell__community__street", admin.RelatedOnlyFieldListFilter),
        ("cell__community", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("address",)
    raw_id_fields = ("cell",)
    inlines = [VisitInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Household]:
        return households_visible_to(request.user).order_by(*self.get_ordering(request) or ["pk"])

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        # A raw id is typed, not chosen: without this a cell outside the scope would pass.
        if db_field.name == "cell":
            kwargs["queryset"] = cells_open_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("community"), ordering="cell__community__full_code")
    def community(self, household: Household):
        return household.cell.community


class ElderlyFilter(admin.SimpleListFilter):
    title = _("老年人 elderly (60+)")
    parameter_name = "elderly"

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request, queryset: QuerySet[Resident]) -> QuerySet[Resident]:
        if self.value() == "yes":
            return queryset.elderly()
        if self.value() == "no":
            return queryset.filter(birth_date__gt=years_before(timezone.localdate(), ELDERLY_AGE))
        return queryset


@admin.register(Resident)
class ResidentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = ResidentForm
    list_display = (
        "name",
        "gender",
        "id_number_masked",
        "phone_masked",
        "birth_date",
        "household",
        "cell",
        "tag_list",
    )
    list_select_related = ("household", "cell__community")
    list_filter = (
        "gender",
        "tags",
        ElderlyFilter,
        ("cell__community__street", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "household__address")
    search_help_text = _("Name or address, or a whole ID number or phone number.")
    raw_id_fields = ("household",)
    readonly_fields = ("cell", "created_at")
    actions = ["reveal_pii"]

    def get_fields(self, request: HttpRequest, obj: Resident | None = None):
        # "Remove the phone number" only makes sense where there is one.
        fields = super().get_fields(request, obj)
        return (
            fields if obj is not None and obj.phone else [f for f in fields if f != "clear_phone"]
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        # A raw id is typed, not chosen: without this a household outside the scope would pass.
        if db_field.name == "household":
            kwargs["queryset"] = households_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Resident]:
        return (
            residents_visible_to(request.user)
            .prefetch_related("tags")
            .order_by(*self.get_ordering(request) or ["pk"])
        )

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        """Name/address search, plus an exact match on a whole ID number or phone via their
        hashes (the encrypted columns cannot be searched)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        exact = Q()
        if looks_like_id_number(search_term):
            exact |= Q(id_number_hash=id_number_hash_of(search_term))
        try:
            if phone := phone_hash_of(search_term.strip()):
                exact |= Q(phone_hash=phone)
        except ValidationError:
            pass
        if exact:
            results |= queryset.filter(exact)
        return results, may_have_duplicates

    @admin.display(description=_("ID number (身份证号)"))
    def id_number_masked(self, resident: Resident) -> str:
        return resident.id_number_masked

    @admin.display(description=_("phone"))
    def phone_masked(self, resident: Resident) -> str:
        return resident.phone_masked

    @admin.display(description=_("tags"))
    def tag_list(self, resident: Resident) -> str:
        return ", ".join(tag.name for tag in resident.tags.all())

    def has_reveal_permission(self, request: HttpRequest) -> bool:
        return can_reveal_pii_in_bulk(request.user)

    @admin.action(permissions=["reveal"], description=_("Show whole ID number and phone (logged)"))
    def reveal_pii(self, request: HttpRequest, queryset: QuerySet[Resident]):
        """Ask for a reason, then show the whole data on a page of its own.

        Not via ``messages``: those are kept in a cookie or the session until displayed.
        """
        count = queryset.count()
        if count > MAX_REVEAL:
            self.message_user(
                request,
                _("Select at most %(max)d residents to reveal at once.") % {"max": MAX_REVEAL},
                messages.ERROR,
            )
            return None
        form = RevealReasonForm(request.POST if "reason" in request.POST else None)
        revealed: list[dict[str, str]] = []
        if form.is_valid():
            try:
                # All or nothing: no log row for data that was never shown.
                with transaction.atomic():
                    revealed = [
                        reveal_resident_pii(
                            resident_id=resident.pk,
                            by=request.user,
                            reason=form.cleaned_data["reason"],
                        )
                        for resident in queryset
                    ]
            except PermissionDenied as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Show whole personal data"),
            "opts": self.model._meta,
            "residents": queryset,
            "form": form,
            "revealed": revealed,
            "summary": ngettext(
                "%(count)d resident selected.", "%(count)d residents selected.", count
            )
            % {"count": count},
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        response = TemplateResponse(request, "admin/residents/resident/reveal_pii.html", context)
        # Whole personal data must not linger in a browser or proxy cache.
        response["Cache-Control"] = "no-store"
        return response


@admin.register(PIIAccessLog)
class PIIAccessLogAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: the log is written by services and never edited. Scoped by the residents
    it is about (``access_logs_visible_to``)."""

    list_display = ("at", "user", "resident", "fields", "reason")
    list_select_related = ("user", "resident")
    list_filter = ("at",)
    search_fields = ("user__username", "resident__name", "reason")
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PIIAccessLog]:
        return access_logs_visible_to(request.user).order_by(*self.get_ordering(request) or ["-at"])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PIIAccessLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PIIAccessLog | None = None) -> bool:
        return False
