"""``POST /households/<id>/visited/``: a grid worker logs a visit (走访) from their home page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from grids.access import assignment_required

from .models import Household
from .services import record_visit


@assignment_required
@require_POST
def visited(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        visit = record_visit(household_id=pk, by=request.user, note=request.POST.get("note", ""))
    except Household.DoesNotExist:
        raise Http404("no such household") from None
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=400)
    if request.htmx:
        return render(request, "residents/_visited.html", {"visit": visit})
    return redirect("home")
