"""Verifications that may not have happened on site (核查造假).

Both rules look at the closing verification (``verify_pass``) of each case closed in the
window and at the result it verified (the last ``report`` or ``self_resolve`` before it):

- ``verification_no_evidence``: nothing shows the verifier was there after the work —
  either no verification-stage photo and a note that says nothing seen on site (fewer than
  ``INTEGRITY_MIN_VERIFY_NOTE_CHARS`` (5) letters, digits or characters — "已核查", "ok",
  "同意" — or the result's own note copied back); or verification photos whose capture
  facts (the phone's fix and clock sent with the photo, else the photo's EXIF) all place
  them elsewhere or earlier: farther from the case than ``PHOTO_FAR_M`` plus the fix's
  accuracy, or taken before the result was reported (an old photo, 旧照片). A desk
  verification with a fluent note and a plausible delay still carries such a photo; photos
  with no capture facts at all prove nothing either way and are not judged.
- ``verification_too_fast``: made less than ``INTEGRITY_MIN_VERIFY_MINUTES`` (10) after the
  result was reported — too soon to have walked there and looked — unless a verification
  photo was captured at the case after the result (the verifier stood by while the handler
  finished: quick and honest).

The subject is the verifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count

from cases.models import Attachment, Case, CaseEvent, CaseStatus
from grids.geometry import haversine_m

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
        "id",
        "number",
        "lon",
        "lat",
        "category__code",
        "category__requires_verification_photo",
        "cross_check",
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
        captures: dict[tuple[int, int], list[dict]] = {}
        for row in Attachment.objects.filter(
            case_id__in=ids, stage=Attachment.Stage.VERIFICATION
        ).values(*_CAPTURE_FIELDS):
            captures.setdefault((row["case_id"], row["event_id"]), []).append(row)
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
                "captures": captures.get((case_id, verify["id"]), []),
            }


_CAPTURE_FIELDS = (
    "case_id",
    "event_id",
    "capture_at",
    "capture_lon",
    "capture_lat",
    "capture_accuracy_m",
    "taken_at",
    "taken_lon",
    "taken_lat",
)


def photo_whereabouts(item: dict) -> list[dict]:
    """Where and when each verification photo with capture facts was taken, measured against
    the case's point and the result's time; photos without any facts are left out."""
    case, result = item["case"], item["result"]
    facts = []
    for photo in item["captures"]:
        at = photo["capture_at"] or photo["taken_at"]
        lon, lat = photo["capture_lon"], photo["capture_lat"]
        accuracy = photo["capture_accuracy_m"] or 0.0
        if lon is None and photo["taken_lon"] is not None:
            lon, lat, accuracy = photo["taken_lon"], photo["taken_lat"], 0.0
        if at is None and lon is None:
            continue
        distance = None if lon is None else haversine_m(lon, lat, case["lon"], case["lat"])
        before = None
        if at is not None and result is not None:
            before = (result["at"] - at).total_seconds() / 60
        facts.append(
            {
                "captured_at": iso(at),
                "distance_m": None if distance is None else round(distance),
                "accuracy_m": accuracy,
                "far": distance is not None and distance > settings.PHOTO_FAR_M + accuracy,
                "minutes_before_result": None if before is None else round(before, 1),
                "before_result": before is not None and before > _CLOCK_SLACK_MINUTES,
            }
        )
    return facts


# Phones' clocks are corrected by their skew, but a minute either way is noise.
_CLOCK_SLACK_MINUTES = 1.0


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
            whereabouts = photo_whereabouts(item)
            if whereabouts and all(p["far"] or p["before_result"] for p in whereabouts):
                drafts.append(_off_site(item, whereabouts))
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
                    "reason": "no_photo",
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


def _off_site(item: dict, whereabouts: list[dict]) -> FlagDraft:
    return FlagDraft(
        rule=Rule.VERIFICATION_NO_EVIDENCE,
        case_id=item["case"]["id"],
        subject_id=item["verify"]["actor_id"],
        evidence={
            **_common_evidence(item),
            "reason": "photos_off_site",
            "photo_whereabouts": whereabouts,
            "thresholds": {"far_m": settings.PHOTO_FAR_M},
        },
    )


def verifications_too_fast(window: Window) -> list[FlagDraft]:
    min_minutes = float(setting("INTEGRITY_MIN_VERIFY_MINUTES"))
    drafts = []
    for item in closing_verifications(window):
        if item["result"] is None:
            continue
        minutes = (item["verify"]["at"] - item["result"]["at"]).total_seconds() / 60
        if minutes >= min_minutes or any(
            p["distance_m"] is not None and not (p["far"] or p["before_result"])
            for p in photo_whereabouts(item)
        ):
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
