"""The gate in front of every staff and worker page and every API endpoint (DESIGN §6): a
signed-in user acts only through an assignment that is current today. A user whose
assignments all ended (or have not begun) keeps their account — they can still sign in,
sign out and revoke their tokens — but sees no case, no resident and no work list: pages
answer with the no-role page (403), the API with 403 and the same message.

Superusers pass without an assignment, as they see everything in the selectors too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .selectors import AssignmentRow, assignment_rows

NO_ASSIGNMENT = _(
    "You have no current assignment. Ask your street office or district administrator to "
    "assign you to a cell, street or department."
)


def current_assignments(request) -> list[AssignmentRow]:
    """``request.user``'s assignments current today as rows (``grids.selectors.assignment_rows``),
    read once per request: the gate, the pages' role checks, the header and intake's check of
    the reporter's territory share one query."""
    if not hasattr(request, "_gridgov_assignments"):
        request._gridgov_assignments = assignment_rows(request.user)
    return request._gridgov_assignments


def current_roles(request) -> frozenset[str]:
    """The roles of ``request.user``'s assignments current today (``current_assignments``)."""
    if not hasattr(request, "_gridgov_roles"):
        request._gridgov_roles = frozenset(row[0] for row in current_assignments(request))
    return request._gridgov_roles


def has_current_assignment(request) -> bool:
    return bool(getattr(request.user, "is_superuser", False) or current_roles(request))


def no_assignment_page(request: HttpRequest) -> HttpResponse:
    return render(request, "no_role.html", status=403)


def assignment_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for users with a current assignment: signed out, the sign-in page; without
    one, the no-role page (403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not has_current_assignment(request):
            return no_assignment_page(request)
        return view(request, *args, **kwargs)

    return wrapper


class HasCurrentAssignment(BasePermission):
    """DRF's side of the gate (a default permission class, after ``IsAuthenticated``, so a
    call without credentials still gets 401)."""

    message = NO_ASSIGNMENT

    def has_permission(self, request, view) -> bool:
        return has_current_assignment(request)
