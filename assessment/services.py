"""Writes of the assessment: residents' satisfaction ratings (满意度评价) — on their tracking
page or by a staff phone callback — and answers to the grid-service survey (网格服务测评)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import RESIDENT_SOURCES, Case, CaseStatus
from cases.selectors import get_case_for
from cases.services import ReporterContact
from grids.models import Assignment, GridCell, Role
from grids.selectors import active_assignments

from .models import GridSurveyAnswer, Satisfaction, quarter_of

MAX_COMMENT = 1000


def satisfaction_for(*, case_id: int) -> Satisfaction:
    """The satisfaction row of a closed case, made on first call. ``ValidationError`` if the
    case is not closed."""
    if not Case.objects.filter(pk=case_id, status=CaseStatus.CLOSED).exists():
        raise ValidationError({"case": _("Only a closed case can be rated.")})
    try:
        with transaction.atomic():
            return Satisfaction.objects.get_or_create(case_id=case_id)[0]
    except IntegrityError:  # a concurrent first call made it
        return Satisfaction.objects.get(case_id=case_id)


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


def rate_by_resident(*, tracking_code: str, score, comment: str = "") -> Satisfaction:
    """The resident behind ``tracking_code`` rates their closed case, once.

    ``Http404`` for an unknown code or a case no resident reported; ``ValidationError`` for a
    bad score or comment, a case that is not closed, or a second rating.
    """
    score = _check(score, comment)
    case = (
        Case.objects.filter(tracking_code=tracking_code, source__in=RESIDENT_SOURCES)
        .only("pk")
        .first()
    )
    if case is None:
        raise Http404("No case has this tracking code.")
    satisfaction_for(case_id=case.pk)
    with transaction.atomic():
        row = Satisfaction.objects.select_for_update().get(case_id=case.pk)
        return _rate(row, score=score, comment=comment, channel=Satisfaction.Channel.LINK)


def record_callback(*, case_id: int, by, score, comment: str = "") -> Satisfaction:
    """电话回访: street staff enter the rating the affected resident gave on the phone, once
    per case.

    ``Http404`` if the case is outside ``by``'s scope, ``PermissionError`` if ``by`` is not
    street staff of the case's street or reported the case themselves (nobody rates their own
    report), ``ValidationError`` for a bad score, an open case or a case already rated.
    """
    score = _check(score, comment)
    case = get_case_for(by, case_id)
    streets = set(
        active_assignments(by).filter(role=Role.STREET_STAFF).values_list("street_id", flat=True)
    )
    if case.street_id not in streets:
        raise PermissionError(_("Only street staff of the case's street enter phone callbacks."))
    if case.reporter_id == by.pk:
        raise PermissionError(_("Nobody rates a case they reported themselves."))
    satisfaction_for(case_id=case.pk)
    with transaction.atomic():
        row = Satisfaction.objects.select_for_update().get(case_id=case.pk)
        return _rate(row, score=score, comment=comment, channel=Satisfaction.Channel.PHONE, by=by)


def grid_worker_of(cell: GridCell) -> int | None:
    """The grid worker serving ``cell`` now (a cell assignment before a community one)."""
    return (
        Assignment.objects.active()
        .filter(
            Q(scope="cell", cell=cell) | Q(scope="community", community_id=cell.community_id),
            role=Role.GRID_WORKER,
            user__is_active=True,
        )
        .order_by("scope", "user_id")  # "cell" < "community": cell assignments first
        .values_list("user_id", flat=True)
        .first()
    )


def answer_survey(
    *, cell_code: str, score, comment: str = "", contact: ReporterContact
) -> GridSurveyAnswer:
    """A resident answers their cell's grid-service survey: once per phone or email, cell and
    quarter. ``Http404`` for an unknown cell; ``ValidationError`` for a bad score, comment
    or contact, no contact at all (``phone``), or a second answer this quarter."""
    cell = GridCell.objects.filter(full_code=cell_code).select_related("community").first()
    if cell is None:
        raise Http404("No such grid cell.")
    errors: dict[str, str] = {}
    try:
        score = _check(score, comment)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    try:
        contact = contact.cleaned()
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    else:
        if not contact.key:
            errors["phone"] = _(
                "Give a phone number or an email: it keeps the survey to one answer per "
                "person, and is stored only as a code that cannot be read back."
            )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return GridSurveyAnswer.objects.create(
                cell=cell,
                worker_id=grid_worker_of(cell),
                score=score,
                comment=(comment or "").strip(),
                contact_hash=contact.key,
                quarter=quarter_of(timezone.localdate()),
            )
    except IntegrityError:
        raise ValidationError(
            {"score": _("You have already answered for this grid this quarter. Thank you!")}
        ) from None
