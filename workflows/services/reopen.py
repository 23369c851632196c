"""A resident's request to reopen a closed case (申请重新处理), and street staff's decision."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseStatus, ReopenRequest

from .. import outbox
from ..errors import ReopenClosed, TransitionNotAllowed
from ..transitions import Actor
from .runner import (
    concrete_values,
    require,
    run_transition,
    save_with_event,
)

S = CaseStatus

REOPEN_DAYS = 7  # a resident may ask to reopen a case this many days after it closed


def request_reopen(*, tracking_code: str, reason: str) -> ReopenRequest:
    """A resident says their closed case is not fixed (申请重新处理), by its tracking code.

    Allowed within ``REOPEN_DAYS`` of closing and once per closing; street staff then reopen
    it (``reopen_case``) or decline (``decline_reopen``). Writes a ``request_reopen`` event
    (closed → closed, no actor: the resident has no account) and tells the street's staff.
    ``Http404`` for an unknown code; ``TransitionNotAllowed`` (409) if the case is not closed,
    closed too long ago, or already asked about; ``ValidationError`` for a missing or
    over-long reason.
    """
    reason = (reason or "").strip()
    require(reason=reason)
    if len(reason) > 1000:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": 1000}})
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).filter(tracking_code=tracking_code).first()
        )
        if case is None:
            raise Http404("No case has this tracking code.")
        now = timezone.now()
        if case.status != S.CLOSED or case.reopen_requested_at is not None:
            raise TransitionNotAllowed(action="request_reopen", status=case.status, allowed=[])
        if case.closed_at is None or now - case.closed_at > timedelta(days=REOPEN_DAYS):
            raise ReopenClosed(days=REOPEN_DAYS)
        if ReopenRequest.objects.filter(case=case, closed_at=case.closed_at).exists():
            raise ReopenClosed(days=REOPEN_DAYS, again=True)
        request = ReopenRequest.objects.create(case=case, reason=reason, closed_at=case.closed_at)
        before = concrete_values(case)
        case.reopen_requested_at = now
        save_with_event(
            case,
            before=before,
            action="request_reopen",
            from_status=S.CLOSED,
            actor=Actor(user=None),
            now=now,
            note=reason,
            payload={"by": "resident"},
        )
        outbox.record_transition(case.pk, "request_reopen", case.version)
    return request


def _decide_reopen(case: Case, *, by, now: datetime, status: str, reason: str = "") -> None:
    ReopenRequest.objects.filter(case=case, status=ReopenRequest.Status.PENDING).update(
        status=status, decided_at=now, decided_by=by, decline_reason=reason
    )
    case.reopen_requested_at = None


def reopen_case(*, case_id: int, by, note: str = "") -> Case:
    """重新处理 (street staff, on a resident's pending request): closed → dispatched back to
    the department that handled it, as rework (rework count + 1, a fresh handling deadline,
    a new verifier drawn at the next report)."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        if case.department_id is None:
            raise ValidationError(
                {"department": _("This case has no department to send it back to.")}
            )
        _decide_reopen(case, by=by, now=now, status=ReopenRequest.Status.REOPENED)
        case.rework_count += 1
        case.lead_reported_at = None
        case.verifier = None
        case.cross_check = False
        case.dispatched_at = now
        case.closed_at = None

    return run_transition("reopen", case_id=case_id, by=by, apply=apply, note=note)


def decline_reopen(*, case_id: int, by, reason: str) -> Case:
    """Decline a resident's reopen request (street staff), with a reason the resident is
    shown on the tracking page; the case stays closed."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        require(reason=reason)
        _decide_reopen(
            case, by=by, now=now, status=ReopenRequest.Status.DECLINED, reason=reason.strip()
        )

    return run_transition("decline_reopen", case_id=case_id, by=by, apply=apply, note=reason)
