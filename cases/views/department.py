"""A handler's department page (``/department/``): tabs by state of the loop, each by time
left, searched, paged in place (the next page appended without a reload)."""

from __future__ import annotations

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from cases.filters import DeskSearch
from cases.selectors import (
    DEPARTMENT_TABS,
    department_cases,
    department_tab_counts,
    mark_late_parts,
)
from grids.models import Role

from .common import role_required, with_actions

PAGE_SIZE = 50
TAB_LABELS = {
    "start": _("To start"),
    "progress": _("In progress"),
    "verification": _("Awaiting verification"),
    "suspended": _("Suspended"),
}


@role_required(Role.HANDLER)
def department(request: HttpRequest) -> HttpResponse:
    """The department's open cases of one tab (``?tab=``, default: to start), ``PAGE_SIZE``
    at a time (``?page=``: htmx asks for the next page's rows alone). Unknown tab or page:
    404; a bad search: 400 with the field's error. A fixed number of queries whatever the
    number of cases."""
    tab = request.GET.get("tab", "start")
    if tab not in DEPARTMENT_TABS:
        raise Http404("no such tab")
    search = DeskSearch(request.GET, department_cases(request.user, tab=tab))
    status = 200 if search.is_valid() else 400
    found = search.qs if status == 200 else search.queryset.none()
    try:
        page = Paginator(found, PAGE_SIZE).page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger):
        raise Http404("no such page") from None
    context = {
        "tab": tab,
        "search": search,
        "page": page,
        "cases": mark_late_parts(request.user, with_actions(request, page.object_list)),
    }
    if request.htmx and "page" in request.GET:  # the next rows, appended in place
        return render(request, "cases/_department_rows.html", context, status=status)
    counts = department_tab_counts(request.user)
    context["tabs"] = [(name, TAB_LABELS[name], counts[name]) for name in DEPARTMENT_TABS]
    return render(request, "cases/department.html", context, status=status)
