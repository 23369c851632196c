"""“Already reported? Add to it” (补充): a worker who finds an open case for what they came to
report adds their note and photos to it instead of filing a duplicate.

Not a transition: the case keeps its state, reporter, deadlines and the notices people have
about it (nothing was done about it). One ``supplement`` event on the timeline carries the
note and the photos (through the photo pipeline, stored as report photos).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import OPEN_STATUSES, Attachment, Case
from cases.photos import prepare_photos
from cases.selectors import get_case_for

from ..errors import TransitionNotAllowed
from ..steps import SUPPLEMENT
from ..transitions import Actor
from .runner import _prepared_before_lock, concrete_values, save_with_event

NOTE_MAX = 2000


def add_to_case(*, case_id: int, by, note: str = "", photos: Sequence = ()) -> Case:
    """Add ``by``'s note and photos to the open case ``case_id`` (a ``supplement`` event).

    ``Http404`` if ``by`` may not see the case (the scope of viewing); ``TransitionNotAllowed``
    (409) if it is closed or rejected by now (file a new report); ``ValidationError`` (400)
    for a refused photo, or with neither a note nor a photo.
    """
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("At most %(n)d characters.") % {"n": NOTE_MAX}})
    photos = _prepared_before_lock(photos)
    with transaction.atomic():
        case = get_case_for(by, case_id, for_update=True)
        if case.status not in OPEN_STATUSES:
            raise TransitionNotAllowed(
                action=SUPPLEMENT,
                status=case.status,
                allowed=[],
                reason=_("It is finished since; file a new report if the problem is back."),
            )
        photos = prepare_photos(photos)
        if not note and not photos:
            raise ValidationError({"note": _("Add a note or a photo.")})
        save_with_event(
            case,
            before=concrete_values(case),
            action=SUPPLEMENT,
            from_status=case.status,
            actor=Actor.of(by),
            now=timezone.now(),
            note=note,
            photos=photos,
            photo_stage=Attachment.Stage.REPORT,
            settle_notices=False,
        )
    return case
