"""What the resident and household admins share: the scope and served mark come from the
selectors, every list shown is logged, a row the user does not serve is a masked read-only
view, and the URL may filter by the list filters only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from grids.admin_scope import ScopedAdminMixin

from ..display import is_served
from ..selectors import serves_anyone
from ..services import record_list_view
from ..views import refusal


class SensitiveFilterRefused(PermissionDenied):
    """A list filter that would list sensitive data the user may not see (answered 403)."""


def list_filters(request: HttpRequest) -> dict[str, str | list[str]]:
    """The list's filters from the query string, for the log: not the search (logged as a
    hash), paging, ordering or popup flags."""
    return {
        key: values[-1] if len(values) == 1 else values
        for key, values in request.GET.lists()
        if key not in (*IGNORED_PARAMS, PAGE_VAR, ERROR_FLAG)
    }


def serves(request: HttpRequest) -> bool:
    """``selectors.serves_anyone`` for the request's user, read once per request (the admin
    asks for its permissions several times while drawing one page)."""
    if not hasattr(request, "_residents_serves"):
        request._residents_serves = serves_anyone(request.user)
    return request._residents_serves


class PersonalDataAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Base for admins of rows carrying ``served`` (``selectors.*_visible_to``).

    ``masked_fields``: what a user who does not serve the row sees, read-only, instead of
    the form (display methods and harmless fields).
    """

    masked_fields: tuple[str, ...] = ()
    # Facets would run the search (and log it) once per filter.
    show_facets = admin.ShowFacets.NEVER

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """The list, logged as one ``PIIListLog`` row once it is about to be shown."""
        try:
            response = super().changelist_view(request, extra_context)
        except SensitiveFilterRefused as exc:
            return refusal(request, message=str(exc), status=403)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if response.status_code == 200 and cl is not None:
            opts = self.model._meta
            record_list_view(
                by=request.user,
                where=f"admin:{opts.app_label}.{opts.model_name}",
                rows=len(cl.result_list),  # the page's rows; the template reuses this read
                filters={
                    k: v[-1] if len(v) == 1 else v for k, v in cl.get_filters_params().items()
                },
                search=cl.query,
            )
        return response

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        # The admin lets the URL filter by any of the model's own fields (?birth_date__gte=,
        # ?name=): enough to bisect a birth date or confirm a name. Only the list filters.
        allowed = set()
        for entry in self.list_filter:
            if isinstance(entry, type):
                allowed.add(entry.parameter_name)
            else:
                allowed.add(entry if isinstance(entry, str) else entry[0])
        if not any(lookup == path or lookup.startswith(f"{path}__") for path in allowed):
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and serves(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or is_served(obj))

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is not None and not is_served(obj):
            return list(self.masked_fields)
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None and not is_served(obj):
            return self.masked_fields
        return super().get_readonly_fields(request, obj)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is not None and not is_served(obj):
            # Nothing to edit; the model's own form would render the values whole.
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change, **kwargs)
