"""A grid worker logs a visit (走访) from their task list: note, GPS fix and an optional photo
(through the photo pipeline, so it is here above ``residents``); and the visit's photo, served
to those who serve the household."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cases.photos import prepare_photos
from grids.access import assignment_required
from residents.forms import VisitForm
from residents.models import Household, Visit
from residents.selectors import households_served_by
from residents.visits import VisitPhoto, record_visit, undo_deadline

from .common import serve_file


def _errors(form: VisitForm) -> str:
    return "; ".join(
        " ".join(messages) if field == "__all__" else f"{field}: {' '.join(messages)}"
        for field, messages in form.errors.items()
    )


def _photo(request: HttpRequest) -> VisitPhoto | None:
    """The visit's photo, prepared; ``ValidationError({"photos": …})`` if it is refused."""
    files = request.FILES.getlist("photo")
    if not files:
        return None
    (prepared,) = prepare_photos(files[:1])
    return VisitPhoto(data=prepared.data, thumbnail=prepared.thumbnail)


@assignment_required
@require_POST
def visited(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a visit now: note, GPS fix, photo (all optional); 400 with the fields' errors."""
    form = VisitForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_errors(form), status=400, content_type="text/plain; charset=utf-8")
    try:
        visit = record_visit(
            household_id=pk,
            by=request.user,
            note=form.cleaned_data["note"],
            fix=form.fix(),
            photo=_photo(request),
        )
    except Household.DoesNotExist:
        raise Http404("no such household") from None
    except ValidationError as exc:
        return HttpResponse(
            "; ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8"
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
