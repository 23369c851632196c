"""Residents' pages: a grid worker logs a visit (走访) from their home page; and the answers
for a refused look at personal data (a sensitive filter: 403; too many whole-number
searches: 429, for any page, through django-ratelimit's middleware)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_ratelimit.exceptions import Ratelimited

from grids.access import assignment_required

from .forms import VisitForm
from .models import Household
from .services import record_visit


@assignment_required
@require_POST
def visited(request: HttpRequest, pk: int) -> HttpResponse:
    form = VisitForm(request.POST)
    if not form.is_valid():
        return HttpResponse("; ".join(form.errors["note"]), status=400)
    try:
        visit = record_visit(household_id=pk, by=request.user, note=form.cleaned_data["note"])
    except Household.DoesNotExist:
        raise Http404("no such household") from None
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=400)
    if request.htmx:
        return render(request, "residents/_visited.html", {"visit": visit})
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
