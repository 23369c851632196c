"""Admin for households and residents.

Lists are scoped by the selectors (DESIGN §6) and logged (``PIIListLog``). ID numbers and
phones are always masked and birth dates shown as a year; names, addresses and sensitive tags
are whole only to those who serve the resident, who alone get the edit form
(``ResidentForm``, which never renders the numbers or the date whole). Seeing everything
whole is the logged reveal action, for superusers and district admins; a whole-number search
is logged and limited (``services.search_residents_by_number``).
"""

from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import display
from ..forms import ResidentForm, RevealReasonForm
from ..models import Household, PIIListLog, Resident, Tag, Visit
from ..selectors import (
    can_reveal_pii_in_bulk,
    cells_open_to,
    households_served_by,
    households_visible_to,
    residents_visible_to,
)
from ..services import record_list_view, reveal_resident_pii, search_residents_by_number
from .base import PersonalDataAdmin, SensitiveFilterRefused, list_filters, serves

# A bulk reveal is for a visit list, not an export: larger selections are refused.
MAX_REVEAL = 20
EXPORT_CHUNK = 2000


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
class HouseholdAdmin(PersonalDataAdmin):
    list_display = ("shown_address", "cell", "community", "created_at")
    list_select_related = ("cell__community",)
    list_filter = (
        ("cell__community__street", admin.RelatedOnlyFieldListFilter),
        ("cell__community", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("address",)
    raw_id_fields = ("cell",)
    inlines = [VisitInline]
    ordering = ("cell", "pk")
    masked_fields = ("shown_address", "cell", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Household]:
        return households_visible_to(request.user).order_by(*self.get_ordering(request) or ["pk"])

    def get_inlines(self, request: HttpRequest, obj: Household | None):
        # Visit notes are about the people living there.
        return self.inlines if obj is None or display.is_served(obj) else []

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        # A raw id is typed, not chosen: without this a cell outside the scope would pass.
        if db_field.name == "cell":
            kwargs["queryset"] = cells_open_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("address"))
    def shown_address(self, household: Household) -> str:
        return display.address(household, served=display.is_served(household))

    @admin.display(description=_("community"), ordering="cell__community__full_code")
    def community(self, household: Household):
        return household.cell.community


class ElderlyFilter(admin.SimpleListFilter):
    """By birth year, not date: a list that changes on someone's 60th birthday would tell
    anyone who looks each day when the birthday is."""

    title = _("老年人 elderly (of that age this year)")
    parameter_name = "elderly"

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request, queryset: QuerySet[Resident]) -> QuerySet[Resident]:
        last_year = timezone.localdate().year - Tag.elderly_age()
        if self.value() == "yes":
            return queryset.filter(birth_date__year__lte=last_year)
        if self.value() == "no":
            return queryset.filter(birth_date__year__gt=last_year)
        return queryset


class TagFilter(admin.SimpleListFilter):
    """Tags; a sensitive one is offered, and filters, only among residents the user serves
    (a filtered list would otherwise tell an overseer who carries it)."""

    title = _("tags")
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        tags = Tag.objects.order_by("name")
        if not serves(request):
            tags = tags.filter(sensitive=False)
        return [(str(tag.pk), tag.name) for tag in tags]

    def queryset(self, request, queryset: QuerySet[Resident]) -> QuerySet[Resident]:
        if not self.value():
            return queryset
        tag = Tag.objects.filter(pk=self.value()).first() if self.value().isdigit() else None
        if tag is None:
            raise IncorrectLookupParameters(f"no tag {self.value()!r}")
        if tag.sensitive:
            if not serves(request):
                raise SensitiveFilterRefused(
                    _(
                        "“%(tag)s” is a sensitive tag: only those who serve a resident see "
                        "whether they carry it."
                    )
                    % {"tag": tag.name}
                )
            queryset = queryset.filter(served=True)
        return queryset.filter(tags=tag)


@admin.register(Resident)
class ResidentAdmin(PersonalDataAdmin):
    form = ResidentForm
    list_display = (
        "shown_name",
        "gender",
        "birth_year",
        "id_number_masked",
        "phone_masked",
        "shown_address",
        "cell",
        "shown_tags",
        "moved_out_at",
    )
    list_select_related = ("household", "cell__community")
    list_filter = (
        "gender",
        TagFilter,
        ElderlyFilter,
        ("cell__community__street", admin.RelatedOnlyFieldListFilter),
        ("moved_out_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("name", "household__address")
    search_help_text = _(
        "Name or address, or a whole ID number or phone number (logged, at most a few an hour)."
    )
    raw_id_fields = ("household",)
    readonly_fields = ("cell", "created_at")
    # Not by name: sorting masked names would order them by the hidden characters.
    ordering = ("household", "pk")
    actions = ["reveal_pii", "export_csv"]
    masked_fields = (
        "shown_name",
        "gender",
        "birth_year",
        "id_number_masked",
        "phone_masked",
        "shown_address",
        "cell",
        "shown_tags",
        "moved_out_at",
        "created_at",
    )

    def get_fields(self, request: HttpRequest, obj: Resident | None = None):
        fields = super().get_fields(request, obj)
        # "Remove the phone number" only makes sense where there is one.
        if obj is None or not obj.phone:
            fields = [f for f in fields if f != "clear_phone"]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Resident | None = None) -> bool:
        # An anonymised resident has nothing left to correct (and no valid ID number).
        return super().has_change_permission(request, obj) and not (obj and obj.anonymised_at)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        # A raw id is typed, not chosen: without this a household outside the scope would pass.
        if db_field.name == "household":
            kwargs["queryset"] = households_served_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Resident]:
        return (
            residents_visible_to(request.user)
            .prefetch_related("tags")
            .order_by(*self.get_ordering(request) or ["pk"])
        )

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        """Name/address search, plus an exact match on a whole ID number or phone through
        the logged, rate-limited service (the encrypted columns cannot be searched)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        found = search_residents_by_number(by=request.user, number=search_term, where="admin")
        return results | queryset.filter(pk__in=found.values("pk")), may_have_duplicates

    @admin.display(description=_("name"))
    def shown_name(self, resident: Resident) -> str:
        return display.name(resident)

    @admin.display(description=_("birth year"), ordering=ExtractYear("birth_date"))
    def birth_year(self, resident: Resident) -> str:
        return display.birth_year(resident)

    @admin.display(description=_("ID number (身份证号)"))
    def id_number_masked(self, resident: Resident) -> str:
        return resident.id_number_masked

    @admin.display(description=_("phone"))
    def phone_masked(self, resident: Resident) -> str:
        return resident.phone_masked

    @admin.display(description=_("address"))
    def shown_address(self, resident: Resident) -> str:
        return display.resident_address(resident)

    @admin.display(description=_("tags"))
    def shown_tags(self, resident: Resident) -> str:
        return display.tags(resident)

    def has_reveal_permission(self, request: HttpRequest) -> bool:
        return can_reveal_pii_in_bulk(request.user)

    @admin.action(permissions=["reveal"], description=_("Show everything whole (logged)"))
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

    @admin.action(permissions=["view"], description=_("Export as CSV (as listed, logged)"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Resident]) -> HttpResponse:
        """The selected residents as the list shows them (``display.EXPORT_COLUMNS``), one
        ``PIIListLog`` row for the whole file."""
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="residents.csv"'
        response["Cache-Control"] = "no-store"
        response.write("\ufeff")  # the byte-order mark Excel needs to read UTF-8
        writer = csv.writer(response)
        writer.writerow([str(header) for header, _value in display.EXPORT_COLUMNS])
        rows = 0
        for resident in queryset.iterator(chunk_size=EXPORT_CHUNK):
            writer.writerow([value(resident) for _header, value in display.EXPORT_COLUMNS])
            rows += 1
        record_list_view(
            by=request.user,
            where="admin:residents.resident",
            rows=rows,
            kind=PIIListLog.Kind.EXPORT,
            filters=list_filters(request),
            search=request.GET.get(SEARCH_VAR, ""),
        )
        return response
