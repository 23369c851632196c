"""Messages to the resident behind a case (DESIGN §8): the reporter who used the portal or
Open311, or the caller street staff took on the hotline. They have no account and no inbox;
they hear by SMS (or email when they left only an address) at the steps a resident cares
about — received (with the tracking code), accepted or not and why, with which department,
fixed and checked (with the rating link), reopened or not — each with the tracking link.

A message is stored (``ResidentMessage``, one per case and occasion) and sent by a task that
claims it first, so a repeated delivery sends nothing twice. The address is read from the
case's contact at sending time: an erased contact is never written to.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from cases.models import Case, CaseContact, CaseStatus

from . import mail, outbox, steps
from .models import ResidentMessage
from .sms import send_sms

logger = logging.getLogger(__name__)
S = CaseStatus


def tracking_link(case: Case) -> str:
    """The resident's tracking page (absolute when ``SITE_URL`` is set)."""
    path = reverse("public:track", kwargs={"code": case.tracking_code})
    return settings.SITE_URL.rstrip("/") + path


def _text(case: Case, action: str, note: str) -> str | None:
    """What the resident is told after ``action`` brought the case to its state, or None."""
    params = {
        "number": case.number,
        "code": case.tracking_code,
        "link": tracking_link(case),
        "department": case.department.name if case.department_id else "",
        "note": note,
    }
    if case.due_at:
        due = timezone.localtime(case.due_at)
        params["due"] = formats.date_format(due, "SHORT_DATETIME_FORMAT")
    if action == "create":
        return (
            _(
                "We received your report %(number)s. Your tracking code is %(code)s; follow it "
                "at %(link)s"
            )
            % params
        )
    if action == "accept" and case.status == S.ACCEPTED:
        return _("Your report %(number)s was accepted and is being assigned. %(link)s") % params
    if action in ("dispatch", "accept", "assign_binding") and case.status == S.DISPATCHED:
        return (
            _("Your report %(number)s is with %(department)s, to be handled by %(due)s. %(link)s")
            % params
        )
    if action == "reject":
        return _("Your report %(number)s was not accepted: %(note)s %(link)s") % params
    if action == "merge" and case.duplicate_of_id:
        params["target"] = case.duplicate_of.number
        return (
            _(
                "Your report %(number)s is about the same problem as case %(target)s, which is "
                "already being handled; you can follow it at %(link)s"
            )
            % params
        )
    if action == "verify_pass":
        return (
            _(
                "Your report %(number)s was fixed and checked on site. How satisfied are you? "
                "Rate it at %(link)s — and if it is not fixed, say so there within 7 days."
            )
            % params
        )
    if action == "reopen":
        return (
            _("Your report %(number)s was sent back to %(department)s to be fixed again. %(link)s")
            % params
        )
    if action == "decline_reopen":
        return _("Your request to reopen %(number)s was declined: %(note)s %(link)s") % params
    return None


def tell_resident(case_id: int, action: str, version: int | None = None) -> int:
    """Store the resident's message after ``action`` (or ``"create"``) and queue it; 1 if a
    new message was stored. Skipped when the case has no reachable contact, when nothing is
    said at this step, or when a later step moved the case on since its event ``version``
    (``workflows.steps``: the later step speaks)."""
    case = (
        Case.objects.select_related("department", "duplicate_of", "contact")
        .filter(pk=case_id)
        .first()
    )
    if case is None or (version is not None and steps.moved_on([case_id], since=version)):
        return 0
    note = ""
    if action in ("reject", "decline_reopen"):
        event = case.events.filter(action=action).order_by("-seq").first()
        note = event.note if event else ""
    return store_messages([resident_message(case, action, note=note, version=version)])


def resident_message(
    case: Case, action: str, *, note: str = "", version: int | None = None
) -> ResidentMessage | None:
    """The (unsaved) message to the resident behind a loaded case (``contact`` and, past
    intake, ``department`` and ``duplicate_of`` loaded) after ``action``; None when the case
    has no tracking code or reachable contact, or nothing is said at this step."""
    contact = getattr(case, "contact", None)
    if not case.tracking_code or contact is None or not contact.reachable:
        return None
    with translation.override(settings.LANGUAGE_CODE):  # residents read the site's language
        body = _text(case, action, note)
    if body is None:
        return None
    channel = ResidentMessage.Channel.SMS if contact.phone else ResidentMessage.Channel.EMAIL
    return ResidentMessage(
        case=case,
        channel=channel,
        body=body,
        dedupe_key=f"resident:{case.pk}:{action}:{version or case.version}",
    )


def store_messages(messages: Iterable[ResidentMessage | None]) -> int:
    """Store the messages whose occasion (``dedupe_key``) is new and owe their sending (the
    outbox), in three queries whatever their number. Returns how many were new."""
    by_key = {m.dedupe_key: m for m in messages if m is not None}
    if not by_key:
        return 0
    taken = set(
        ResidentMessage.objects.filter(dedupe_key__in=list(by_key)).values_list(
            "dedupe_key", flat=True
        )
    )
    new = [m for key, m in by_key.items() if key not in taken]
    if not new:
        return 0
    # ignore_conflicts: a concurrent sender that stored the same occasion first wins quietly
    # (its row, and the outbox row keyed by its id, are owed once).
    ResidentMessage.objects.bulk_create(new, ignore_conflicts=True)
    outbox.record_resident_messages(
        ResidentMessage.objects.filter(
            dedupe_key__in=[m.dedupe_key for m in new], sent_at__isnull=True
        ).values_list("pk", flat=True)
    )
    return len(new)


def send_message(message_id: int) -> bool:
    """Send one stored message, once; True if sent. Claimed (``sent_at``) before sending; on
    failure the claim is released and the error raised, so the task retries."""
    message = ResidentMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return False
    contact = CaseContact.objects.filter(case_id=message.case_id).first()
    to = "" if contact is None else (contact.phone if message.channel == "sms" else contact.email)
    if not to:  # erased since the message was stored
        return False
    if not ResidentMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    ):
        return False
    try:
        if message.channel == ResidentMessage.Channel.SMS:
            send_sms(to=to, body=message.body)
        else:
            subject = _("[GridGov] Your report")
            mail.send_keyed(key=f"resident-{message_id}", subject=subject, body=message.body, to=to)
    except Exception:
        ResidentMessage.objects.filter(pk=message_id).update(sent_at=None)
        raise
    return True
