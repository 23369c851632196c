"""``/``: where each role starts after signing in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from accounts.context_processors import request_shell
from cases.today import history, task_list
from grids.access import no_assignment_page
from residents.visits import QUICK_PHRASES


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
    """Today: one task list, most urgent first (cases.today), my cells on a map with the
    tasks' cases and my position; ``?tab=history``: what I finished."""
    user = request.user
    if request.GET.get("tab") == "history":
        return render(
            request, "cases/worker_home.html", {"tab": "history", "history": history(user)}
        )
    tasks = task_list(user)
    markers = [
        {
            "lon": t.case.lon,
            "lat": t.case.lat,
            "number": t.case.number,
            "url": reverse("case-page", args=[t.case.pk]),
            "late": t.overdue,
        }
        for t in tasks
        if t.case is not None
    ]
    return render(
        request,
        "cases/worker_home.html",
        {"tab": "today", "tasks": tasks, "markers": markers, "phrases": QUICK_PHRASES},
    )
