"""What the visit page and the visits API share (走访): the visit's photo through the photo
pipeline, here above ``residents`` (which holds the visit's other rules, ``residents.visits``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files import File

from residents.visits import VisitPhoto

from .photos import prepare_photos


def prepare_visit_photo(upload: File | None) -> VisitPhoto | None:
    """The visit's photo prepared (re-encoded, no metadata, with a thumbnail), None without
    one; ``ValidationError({"photo": [...]})`` if the pipeline refuses it."""
    if upload is None:
        return None
    try:
        (prepared,) = prepare_photos([upload])
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from exc
    return VisitPhoto(data=prepared.data, thumbnail=prepared.thumbnail)
