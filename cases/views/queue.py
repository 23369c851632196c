"""Work lists: street staff's queue (``/queue/``) and a handler's department (``/department/``).

The queue is worked without page reloads: each item's forms post through htmx to
``cases.views.actions`` and the item is swapped for a one-line result.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cases.selectors import QUEUE_TABS, department_cases, staff_queue, suggested_departments
from grids.models import Role

from .common import dispatch_targets, role_required, with_actions

QUEUE_SIZE = 50


@role_required(Role.STREET_STAFF)
def queue(request: HttpRequest) -> HttpResponse:
    """New reports by time left (with photos, map point and nearby duplicates), approvals
    waiting, and the overdue board. Everything a row offers is loaded in a fixed number of
    queries, whatever the number of rows."""
    tab = request.GET.get("tab", "new")
    if tab not in QUEUE_TABS:
        raise Http404("no such queue")
    waiting = staff_queue(request.user, tab=tab)
    cases = with_actions(request, waiting[:QUEUE_SIZE])
    suggestions = suggested_departments(cases) if tab == "new" else {}
    for case in cases:
        case.suggested = suggestions.get(case.pk)
    context = {
        "tab": tab,
        "tabs": QUEUE_TABS,
        "cases": cases,
        # All that waits, when a page does not show it all: the list's footer offers the
        # next ones (the list reloaded in place, without the items dealt with meanwhile).
        "waiting": waiting.count() if len(cases) == QUEUE_SIZE else len(cases),
        "departments": dispatch_targets(request) if cases else [],
    }
    # The list alone, when its footer asks for the next reports (htmx, swapped into #queue).
    template = "cases/_queue_list.html" if request.htmx.target == "queue" else "cases/queue.html"
    return render(request, template, context)


@role_required(Role.HANDLER)
def department(request: HttpRequest) -> HttpResponse:
    """A handler's department's open cases, overdue first."""
    cases = with_actions(request, department_cases(request.user)[:QUEUE_SIZE])
    return render(request, "cases/department.html", {"cases": cases})
