"""Residents' pages: a grid worker undoes a visit (走访) within minutes (logging one is
cases.views.visits: it takes a photo through the photo pipeline); and the answers for a
refused look at personal data (a sensitive filter: 403; too many whole-number searches: 429,
for any page, through django-ratelimit's middleware)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_ratelimit.exceptions import Ratelimited

from grids.access import assignment_required

from .models import Visit
from .selectors import households_due_visit
from .visits import QUICK_PHRASES, UndoTooLate, undo_visit


@assignment_required
@require_POST
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back one's own visit within minutes (409 saying why after that; 404 for a visit
    that is not one's own)."""
    try:
        visit = undo_visit(visit_id=pk, by=request.user)
    except Visit.DoesNotExist:
        raise Http404("no such visit") from None
    except UndoTooLate as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    if request.htmx:
        due = households_due_visit(request.user, household_id=visit.household_id)
        return render(
            request,
            "residents/_visit_due.html",
            {
                "due": due[0] if due else None,
                "household": visit.household,
                "phrases": QUICK_PHRASES,
            },
        )
    return redirect("home")


def refusal(request: HttpRequest, *, message: str, status: int) -> HttpResponse:
    """``message`` as JSON (``{"detail": …}``, as the API answers) to the API and to clients
    that do not take HTML, else as a page."""
    if request.path.startswith("/api/") or not request.accepts("text/html"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "residents/refused.html", {"message": message}, status=status)


def rate_limited(request: HttpRequest, exception: Ratelimited) -> HttpResponse:
    """``RATELIMIT_VIEW``: 429 with the limit's own message and, when known, Retry-After."""
    response = refusal(request, message=str(exception), status=429)
    if retry_after := getattr(exception, "retry_after", None):
        response["Retry-After"] = str(retry_after)
    return response
