"""``/``: where each role starts after signing in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from accounts.context_processors import request_shell
from cases.selectors import to_verify, worker_reports
from grids.access import no_assignment_page
from residents.selectors import households_due_visit

from .common import with_actions

HOME_LIST_SIZE = 20


def home(request: HttpRequest) -> HttpResponse:
    """A field worker's *today*; street staff go to their queue, handlers to their
    department's cases, district admins to the dashboard (or the case list before it exists);
    someone without a current assignment gets the no-role page (403), or the admin if they
    have a staff account. Someone not signed in is most likely a resident: the portal (it
    links to sign-in)."""
    if not request.user.is_authenticated:
        return redirect("public:index")
    shell = request_shell(request)
    if shell.is_field:
        return worker_home(request)
    if shell.is_staff:
        return redirect("queue")
    if shell.is_handler:
        return redirect("department")
    if shell.is_admin:
        try:
            return redirect(reverse("dashboard"))
        except NoReverseMatch:
            return redirect("case-list")
    if request.user.is_staff:
        return redirect("admin:index")
    return no_assignment_page(request)


def worker_home(request: HttpRequest) -> HttpResponse:
    """Today: cases waiting for my verification, my reports and where each stands (overdue
    first), and households due a visit; my cells on a map."""
    user = request.user
    return render(
        request,
        "cases/worker_home.html",
        {
            "to_verify": with_actions(request, to_verify(user)[:HOME_LIST_SIZE]),
            "reports": worker_reports(user, limit=HOME_LIST_SIZE),
            "visits": households_due_visit(user),
        },
    )
