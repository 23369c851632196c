"""Writes of the assessment: satisfaction ratings (满意度评价), by link or phone callback."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseStatus
from cases.selectors import get_case_for
from grids.models import Role
from grids.selectors import active_assignments

from .models import Satisfaction

MAX_COMMENT = 1000


def satisfaction_for(*, case_id: int) -> Satisfaction:
    """The satisfaction row of a closed case, made (with its link token) on first call.
    ``ValidationError`` if the case is not closed."""
    if not Case.objects.filter(pk=case_id, status=CaseStatus.CLOSED).exists():
        raise ValidationError({"case": _("Only a closed case can be rated.")})
    try:
        with transaction.atomic():
            return Satisfaction.objects.get_or_create(case_id=case_id)[0]
    except IntegrityError:  # a concurrent first call made it
        return Satisfaction.objects.get(case_id=case_id)


def satisfaction_link(*, case_id: int) -> str:
    """The reporter's rating link for a closed case (absolute when ``SITE_URL`` is set)."""
    token = satisfaction_for(case_id=case_id).token
    path = reverse("satisfaction-rate", kwargs={"token": token})
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def _check(score, comment: str) -> int:
    errors = {}
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = None
    if score is None or not 1 <= score <= 5:
        errors["score"] = _("Choose a score from 1 to 5.")
    if len(comment or "") > MAX_COMMENT:
        errors["comment"] = _("At most %(n)d characters.") % {"n": MAX_COMMENT}
    if errors:
        raise ValidationError(errors)
    return score


def _rate(row: Satisfaction, *, score: int, comment: str, channel: str, by=None) -> Satisfaction:
    if row.is_rated:
        raise ValidationError({"score": _("This case has already been rated.")})
    row.score, row.comment, row.channel = score, (comment or "").strip(), channel
    row.entered_by = by
    row.rated_at = timezone.now()
    row.save(update_fields=["score", "comment", "channel", "entered_by", "rated_at"])
    return row


@transaction.atomic
def rate_by_link(*, token: str, score, comment: str = "") -> Satisfaction:
    """The reporter rates the case behind ``token``, once. ``Http404`` for an unknown token,
    ``ValidationError`` for a bad score or a second rating."""
    score = _check(score, comment)
    row = Satisfaction.objects.select_for_update().filter(token=token).first()
    if row is None:
        raise Http404("No such rating link.")
    return _rate(row, score=score, comment=comment, channel=Satisfaction.Channel.LINK)


def record_callback(*, case_id: int, by, score, comment: str = "") -> Satisfaction:
    """电话回访: street staff enter the rating a reporter gave on the phone, once per case.

    ``Http404`` if the case is outside ``by``'s scope, ``PermissionError`` if ``by`` is not
    street staff of the case's street, ``ValidationError`` for a bad score, an open case or a
    case already rated.
    """
    score = _check(score, comment)
    case = get_case_for(by, case_id)
    streets = set(
        active_assignments(by).filter(role=Role.STREET_STAFF).values_list("street_id", flat=True)
    )
    if case.street_id not in streets:
        raise PermissionError(_("Only street staff of the case's street enter phone callbacks."))
    satisfaction_for(case_id=case.pk)
    with transaction.atomic():
        row = Satisfaction.objects.select_for_update().get(case_id=case.pk)
        return _rate(row, score=score, comment=comment, channel=Satisfaction.Channel.PHONE, by=by)
