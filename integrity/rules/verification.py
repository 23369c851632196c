"""Verifications that may not have happened on site (核查造假).

Both rules look at the closing verification (``verify_pass``) of each case closed in the
window and at the result it verified (the last ``report`` or ``self_resolve`` before it):

- ``verification_no_evidence``: no verification-stage photo, and a note that says nothing
  seen on site — fewer than ``INTEGRITY_MIN_VERIFY_NOTE_CHARS`` (5) letters, digits or
  characters ("已核查", "ok", "同意"), or the result's own note copied back.
- ``verification_too_fast``: made less than ``INTEGRITY_MIN_VERIFY_MINUTES`` (10) after the
  result was reported — too soon to have walked there and looked.

The subject is the verifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.db.models import Count

from cases.models import Attachment, Case, CaseEvent, CaseStatus

from ..conf import setting
from ..models import Rule
from .base import FlagDraft, Window, chunks, iso

_RESULT_ACTIONS = ("report", "self_resolve")
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def note_chars(note: str) -> int:
    """How many letters, digits or CJK characters a note has (punctuation and spaces not
    counted)."""
    return len(_NOT_TEXT.sub("", note or ""))


def closing_verifications(window: Window) -> Iterator[dict]:
    """One dict per case closed in the window: the case, its closing ``verify_pass`` event,
    the result event it verified, and how many photos the verification carried."""
    closed = window.narrow(
        Case.objects.filter(
            status=CaseStatus.CLOSED, closed_at__gte=window.since, closed_at__lt=window.until
        )
    ).values(
        "id", "number", "category__code", "category__requires_verification_photo", "cross_check"
    )
    cases = {c["id"]: c for c in closed}
    for ids in chunks(sorted(cases)):
        events: dict[int, list[dict]] = {}
        for event in (
            CaseEvent.objects.filter(case_id__in=ids, action__in=(*_RESULT_ACTIONS, "verify_pass"))
            .order_by("case_id", "seq")
            .values("id", "case_id", "seq", "action", "actor_id", "at", "note")
        ):
            events.setdefault(event["case_id"], []).append(event)
        photos = {
            (row["case_id"], row["event_id"]): row["n"]
            for row in Attachment.objects.filter(
                case_id__in=ids, stage=Attachment.Stage.VERIFICATION
            )
            .values("case_id", "event_id")
            .annotate(n=Count("id"))
            .order_by()
        }
        for case_id in ids:
            timeline = events.get(case_id, [])
            verify = next((e for e in reversed(timeline) if e["action"] == "verify_pass"), None)
            if verify is None:
                continue
            result = next(
                (
                    e
                    for e in reversed(timeline)
                    if e["action"] in _RESULT_ACTIONS and e["seq"] < verify["seq"]
                ),
                None,
            )
            yield {
                "case": cases[case_id],
                "verify": verify,
                "result": result,
                "photos": photos.get((case_id, verify["id"]), 0),
            }


def _common_evidence(item: dict) -> dict:
    verify, result, case = item["verify"], item["result"], item["case"]
    return {
        "category": case["category__code"],
        "cross_check": case["cross_check"],
        "verified_at": iso(verify["at"]),
        "verifier_id": verify["actor_id"],
        "verification_note": verify["note"],
        "verification_photos": item["photos"],
        "result_action": result and result["action"],
        "result_at": result and iso(result["at"]),
        "result_by_id": result and result["actor_id"],
        "result_note": result and result["note"],
    }


def verifications_without_evidence(window: Window) -> list[FlagDraft]:
    min_chars = int(setting("INTEGRITY_MIN_VERIFY_NOTE_CHARS"))
    drafts = []
    for item in closing_verifications(window):
        if item["photos"]:
            continue
        note = item["verify"]["note"]
        chars = note_chars(note)
        result_note = (item["result"] or {}).get("note") or ""
        copied = bool(chars) and _NOT_TEXT.sub("", note) == _NOT_TEXT.sub("", result_note)
        if chars >= min_chars and not copied:
            continue
        drafts.append(
            FlagDraft(
                rule=Rule.VERIFICATION_NO_EVIDENCE,
                case_id=item["case"]["id"],
                subject_id=item["verify"]["actor_id"],
                evidence={
                    **_common_evidence(item),
                    "note_chars": chars,
                    "note_copied_from_result": copied,
                    "photo_required_by_category": item["case"][
                        "category__requires_verification_photo"
                    ],
                    "thresholds": {"min_note_chars": min_chars},
                },
            )
        )
    return drafts


def verifications_too_fast(window: Window) -> list[FlagDraft]:
    min_minutes = float(setting("INTEGRITY_MIN_VERIFY_MINUTES"))
    drafts = []
    for item in closing_verifications(window):
        if item["result"] is None:
            continue
        minutes = (item["verify"]["at"] - item["result"]["at"]).total_seconds() / 60
        if minutes >= min_minutes:
            continue
        drafts.append(
            FlagDraft(
                rule=Rule.VERIFICATION_TOO_FAST,
                case_id=item["case"]["id"],
                subject_id=item["verify"]["actor_id"],
                evidence={
                    **_common_evidence(item),
                    "minutes_after_result": round(minutes, 1),
                    "thresholds": {"min_minutes": min_minutes},
                },
            )
        )
    return drafts
