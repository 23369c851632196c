"""Street staff's work lists (``/queue/``; its bulk actions are in ``bulk``).

The queue is worked without page reloads: each item's forms post through htmx to
``cases.views.actions`` and the item is swapped for a one-line result.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from cases.filters import QueueFilter
from cases.selectors import department_suggestions, staff_queue
from grids.models import Role

from .common import actor_of, dispatch_targets, role_required, with_actions

QUEUE_SIZE = 50
SUGGESTION_KEYS = 9  # keys 1–9 pick among the suggested departments
TAB_LABELS = {
    "new": _("New reports"),
    "approvals": _("Approvals waiting"),
    "overdue": _("Overdue board"),
    "binding": _("Binding assignments (指定承办)"),
}
# The tabs each role works in, first the default. Street staff see the binding tab too: the
# cases their street no longer dispatches, and why.
ROLE_TABS = {
    Role.STREET_STAFF: ("new", "approvals", "overdue", "binding"),
    Role.DISTRICT_ADMIN: ("binding", "overdue"),
}


def tabs_for(roles: frozenset[str]) -> list[str]:
    tabs: list[str] = []
    for role, role_tabs in ROLE_TABS.items():
        if role in roles:
            tabs += [tab for tab in role_tabs if tab not in tabs]
    return tabs


@role_required(Role.STREET_STAFF, Role.DISTRICT_ADMIN)
def queue(request: HttpRequest) -> HttpResponse:
    """Street staff's new reports by time left (with photos, map point, suggested departments
    and nearby duplicates), approvals waiting and the overdue board; the binding assignments
    waiting for the district admins. Searched and filtered (``QueueFilter``: a bad value is a
    400 with the field's error). Everything a row offers is loaded in a fixed number of
    queries, whatever the number of rows."""
    tabs = tabs_for(actor_of(request).roles)
    tab = request.GET.get("tab", tabs[0])
    if tab not in tabs:
        raise Http404("no such queue")
    found = QueueFilter(request.GET, staff_queue(request.user, tab=tab), user=request.user)
    status = 200 if found.is_valid() else 400
    waiting = found.qs if status == 200 else found.queryset.none()
    cases = with_actions(request, waiting[:QUEUE_SIZE])
    suggestions = department_suggestions(cases) if tab == "new" else {}
    for case in cases:
        case.suggested = suggestions.get(case.pk, [])[:SUGGESTION_KEYS]
    context = {
        "tab": tab,
        "tabs": [(name, TAB_LABELS[name]) for name in tabs],
        "filters": found,
        "cases": cases,
        # All that waits, when a page does not show it all: the list's footer offers the
        # next ones (the list reloaded in place, without the items dealt with meanwhile).
        "waiting": waiting.count() if len(cases) == QUEUE_SIZE else len(cases),
        "departments": dispatch_targets(request) if cases else [],
    }
    # The list alone, when its footer or the filters ask (htmx, swapped into #queue).
    template = "cases/_queue_list.html" if request.htmx.target == "queue" else "cases/queue.html"
    return render(request, template, context, status=status)
