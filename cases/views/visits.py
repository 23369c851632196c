"""A grid worker logs a visit (走访) from their task list: note, GPS fix and an optional photo
(through the photo pipeline, so it is here above ``residents``); and the visit's photo, served
to those who serve the household."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cases.visits import prepare_visit_photo
from grids.access import assignment_required
from residents.forms import VisitForm
from residents.models import Household, Visit
from residents.selectors import households_served_by
from residents.visits import record_visit, undo_deadline

from .common import serve_file


def _bad_request(errors: dict[str, list[str]]) -> HttpResponse:
    """400 with the errors as the API words them (``field: messages``), in plain text."""
    text = "; ".join(
        " ".join(messages) if field == NON_FIELD_ERRORS else f"{field}: {' '.join(messages)}"
        for field, messages in errors.items()
    )
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


@assignment_required
@require_POST
def visited(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a visit now: note, GPS fix, photo (all optional); 400 with the fields' errors."""
    form = VisitForm(request.POST)
    if not form.is_valid():
        return _bad_request(form.errors)
    try:
        visit = record_visit(
            household_id=pk,
            by=request.user,
            note=form.cleaned_data["note"],
            fix=form.cleaned_data["fix"],
            photo=prepare_visit_photo(request.FILES.get("photo")),
        )
    except Household.DoesNotExist:
        raise Http404("no such household") from None
    except ValidationError as exc:
        return _bad_request(
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        )
    if request.htmx:
        return render(
            request,
            "residents/_visited.html",
            {"visit": visit, "can_undo": True, "undo_until": undo_deadline(visit)},
        )
    return redirect("home")


@assignment_required
def visit_photo(request: HttpRequest, pk: int, *, thumbnail: bool = False) -> HttpResponse:
    """A visit's photo (or thumbnail), to those who serve its household; 404 otherwise."""
    visit = (
        Visit.objects.filter(household__in=households_served_by(request.user), pk=pk)
        .exclude(photo="")
        .first()
    )
    if visit is None:
        raise Http404("no such photo")
    return serve_file(visit.photo_thumbnail if thumbnail else visit.photo, "image/jpeg")
