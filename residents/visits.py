"""Visits (走访): logging one with its note and GPS fix, and taking it back within minutes.

A visit is what a worker did, so the worker may undo it for ``UNDO_MINUTES`` (a tap on the
wrong household); after that it stands, as the record of the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.spatial import get_cell_index

from .models import Visit
from .selectors import households_served_by

UNDO_MINUTES = 5
# Notes a worker taps instead of typing (the note field stays free text).
QUICK_PHRASES = (
    gettext_lazy("All is well"),
    gettext_lazy("In good health"),
    gettext_lazy("Needs help"),
    gettext_lazy("Nobody at home"),
    gettext_lazy("Leaflets handed over"),
)


class UndoTooLate(Exception):
    """The visit is older than ``UNDO_MINUTES``: it stands (a 409 to the caller)."""


@dataclass(frozen=True)
class Fix:
    """A GPS fix from the phone: WGS-84 degrees, accuracy in metres, the phone's time."""

    lon: float
    lat: float
    accuracy_m: float | None = None
    fixed_at: datetime | None = None


def fix_from(
    *,
    lon: float | None,
    lat: float | None,
    accuracy: float | None = None,
    fixed_at: datetime | None = None,
) -> Fix | None:
    """The phone's GPS fix from a visit's fields (the page's form and the API alike), None
    without coordinates; ``ValidationError`` on the missing one when only one came."""
    if lon is None and lat is None:
        return None
    if lon is None or lat is None:
        missing = "lat" if lat is None else "lon"
        raise ValidationError({missing: _("A GPS fix needs both longitude and latitude.")})
    return Fix(lon=lon, lat=lat, accuracy_m=accuracy, fixed_at=fixed_at)


@dataclass(frozen=True)
class VisitPhoto:
    """A photo already through the photo pipeline (``cases.photos.prepare_photos``): JPEG
    bytes with no metadata, and its thumbnail."""

    data: bytes
    thumbnail: bytes


@transaction.atomic
def record_visit(
    *,
    household_id: int,
    by,
    note: str = "",
    fix: Fix | None = None,
    photo: VisitPhoto | None = None,
) -> Visit:
    """Log that ``by`` visited the household now (走访), with an optional note, GPS fix and
    photo. ``by`` must serve the household's cell (else ``Household.DoesNotExist``, a 404 to
    the caller). The fix's cell is looked up now, for the integrity rule."""
    household = households_served_by(by).get(pk=household_id)
    visit = Visit(household=household, worker=by, note=note.strip())
    if photo is not None:
        stem = f"visit-{timezone.now():%Y%m%d%H%M%S%f}"
        visit.photo = ContentFile(photo.data, name=f"{stem}.jpg")
        visit.photo_thumbnail = ContentFile(photo.thumbnail, name=f"{stem}-thumb.jpg")
    if fix is not None:
        visit.lon, visit.lat = fix.lon, fix.lat
        visit.accuracy_m, visit.fixed_at = fix.accuracy_m, fix.fixed_at
        visit.fix_cell_id = get_cell_index().lookup(fix.lon, fix.lat)
    visit.full_clean(exclude=["household", "worker", "fix_cell", "photo", "photo_thumbnail"])
    visit.save()
    return visit


def own_visit(user, visit_id: object) -> Visit | None:
    """``user``'s own visit ``visit_id`` (any value from a query string), or ``None``."""
    try:
        return Visit.objects.select_related("household").get(pk=int(visit_id), worker=user)
    except (TypeError, ValueError, Visit.DoesNotExist):
        return None


def undo_deadline(visit: Visit) -> datetime:
    return visit.visited_at + timedelta(minutes=UNDO_MINUTES)


def can_undo(visit: Visit, *, now: datetime | None = None) -> bool:
    return (now or timezone.now()) < undo_deadline(visit)


@transaction.atomic
def undo_visit(*, visit_id: int, by, now: datetime | None = None) -> Visit:
    """Take back ``by``'s own visit logged less than ``UNDO_MINUTES`` ago; returns the deleted
    visit (its household still loaded). Someone else's visit is ``Visit.DoesNotExist`` (404);
    an older one raises ``UndoTooLate`` saying why."""
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("household")
        .get(pk=visit_id, worker=by)
    )
    if not can_undo(visit, now=now):
        raise UndoTooLate(
            _("A visit can be undone for %(minutes)d minutes; this one was logged at %(time)s.")
            % {
                "minutes": UNDO_MINUTES,
                "time": timezone.localtime(visit.visited_at).strftime("%H:%M"),
            }
        )
    files = [f for f in (visit.photo, visit.photo_thumbnail) if f]
    visit.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files], robust=True)
    return visit
