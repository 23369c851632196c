"""The same photo on different cases (照片重复使用): one picture passed off as evidence twice.

A worker who reuses a photo crops it, mirrors it, turns it, screenshots it from a chat,
lets an app recompress it, filters it, or stands at the same spot and photographs the same
thing again on another day. Each photo is therefore fingerprinted once (``integrity.photos``:
pHashes of the photo flipped and turned, and local features) and checked once against the
earlier photos a cheater would reuse (``integrity.photo_matching``: same worker, nearby
cases, or a close hash anywhere, within ``INTEGRITY_PHOTO_LOOKBACK_DAYS``). A photo
attached in the window is flagged when it reproduces a photo of *another* case: at least
``INTEGRITY_PHOTO_MIN_INLIERS`` keypoints explained by one homography, and the same
contents where the two overlap (a screenshot's photo cut out of it first); see
``photo_matching.is_reuse``. ``bench/integrity_photos.py`` chooses the thresholds on half
of a generated set of street photos and their tricked copies and measures the other half.

Another day's photo of a recurring spot (the same wall, a new pile of rubbish) matches the
background but not the problem, and is left alone: an honest new report. Pairs where one
case was merged into the other are left alone (a resident re-sending their picture is not
a fake). Blank and tiny images are never compared. The flag sits on the later case and
names the earlier one(s); the subject is whoever attached the later photo.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from time import monotonic

from django.db.models import F

from cases.models import Attachment, Case

from ..conf import setting
from ..models import PhotoHash, Rule
from ..photo_matching import PhotoRows, is_reuse, match_new_photos
from ..photos import drop_outdated, ensure_hashes
from .base import FlagDraft, Window, iso


def _attachment(name: str) -> F:
    return F(f"attachment__{name}")


THRESHOLDS = (
    "INTEGRITY_PHOTO_MIN_INLIERS",
    "INTEGRITY_PHOTO_MAX_CHANGED",
    "INTEGRITY_PHOTO_MIN_COVERAGE",
    "INTEGRITY_PHOTO_MAX_DISTANCE",
)


def _photo_rows(start, until) -> list[dict]:
    """The informative photos attached in ``[start, until)``, oldest first, with what the
    prefilter and the evidence need."""
    rows = (
        PhotoHash.objects.filter(
            informative=True,
            attachment__created_at__gte=start,
            attachment__created_at__lt=until,
        )
        .order_by("attachment__created_at", "attachment_id")
        .values(
            "attachment_id",
            "phash",
            "sha256",
            "matched_at",
            case_id=_attachment("case_id"),
            created_at=_attachment("created_at"),
            stage=_attachment("stage"),
            actor_id=_attachment("event__actor_id"),
            reporter_id=_attachment("case__reporter_id"),
            lon=_attachment("case__lon"),
            lat=_attachment("case__lat"),
        )
    )
    result = list(rows)
    for row in result:
        row["worker_id"] = row["actor_id"] or row["reporter_id"]
    return result


def reused_photos(window: Window) -> list[FlagDraft]:
    start = window.since - timedelta(days=float(setting("INTEGRITY_PHOTO_LOOKBACK_DAYS")))
    in_span = Attachment.objects.filter(created_at__gte=start, created_at__lt=window.until)
    drop_outdated(in_span.values("id"))
    # Newest first, within a budget: the window's own photos get their fingerprints first.
    ensure_hashes(
        in_span.filter(photo_hash__isnull=True)
        .order_by("-created_at")
        .only("id", "file")
        .iterator(500),
        deadline=monotonic() + float(setting("INTEGRITY_PHOTO_HASH_SECONDS")),
    )
    rows = _photo_rows(start, window.until)
    if not rows:
        return []
    photos = PhotoRows.of(rows)

    def wanted(row: dict) -> bool:
        return row["created_at"] >= window.since and (
            window.case_ids is None or row["case_id"] in window.case_ids
        )

    pending = [i for i, row in enumerate(rows) if wanted(row) and row["matched_at"] is None]
    if pending:
        match_new_photos(photos, pending)
    # Only the window's photos need what they matched (the lookback's rows are candidates).
    stored = PhotoHash.objects.filter(
        informative=True,
        attachment__created_at__gte=window.since,
        attachment__created_at__lt=window.until,
    ).values_list("attachment_id", "matches")
    matches = dict(stored.iterator(chunk_size=2000))
    position = {row["attachment_id"]: i for i, row in enumerate(rows)}
    found: dict[int, list[tuple[int, int, dict]]] = defaultdict(list)  # case → (new, old, figures)
    for index, row in enumerate(rows):
        if not wanted(row):
            continue
        for figures in matches.get(row["attachment_id"], []):
            other = position.get(figures["attachment_id"])
            if other is None or rows[other]["case_id"] == row["case_id"]:
                continue
            if is_reuse(figures, same_file=row["sha256"] == rows[other]["sha256"]):
                found[row["case_id"]].append((index, other, figures))
    return _drafts(rows, found)


def _drafts(rows: list[dict], found: dict) -> list[FlagDraft]:
    if not found:
        return []
    involved = {rows[o]["case_id"] for pairs in found.values() for _n, o, _f in pairs}
    cases = {
        c["id"]: c
        for c in Case.objects.filter(pk__in=sorted(involved | set(found))).values(
            "id", "number", "reporter_id", "duplicate_of_id"
        )
    }
    drafts = []
    for case_id, pairs in found.items():
        case = cases[case_id]
        evidence = []
        for new, old, figures in sorted(pairs, key=lambda p: (-p[2]["inliers"], p[1])):
            other = cases[rows[old]["case_id"]]
            if case["duplicate_of_id"] == other["id"] or other["duplicate_of_id"] == case_id:
                continue
            evidence.append(_evidence(rows[new], rows[old], other, figures))
        if not evidence:
            continue
        subject = rows[pairs[0][0]]["worker_id"] or case["reporter_id"]
        drafts.append(
            FlagDraft(
                rule=Rule.REUSED_PHOTO,
                case_id=case_id,
                subject_id=subject,
                related_case_ids=sorted({e["matched_case_id"] for e in evidence}),
                evidence={
                    "photos": evidence[:10],
                    "match_count": len(evidence),
                    "most_points": evidence[0]["inliers"],
                    "closest_distance": min(e["distance"] for e in evidence),
                    "thresholds": {name: setting(name) for name in THRESHOLDS},
                },
            )
        )
    return drafts


def _evidence(new: dict, old: dict, other_case: dict, figures: dict) -> dict:
    """One pair, with what the page needs to say it in plain words."""
    days = (new["created_at"] - old["created_at"]).total_seconds() / 86400
    rotation = figures.get("rotation", 0)
    rotation = rotation - 360 if rotation > 180 else rotation
    return {
        "attachment_id": new["attachment_id"],
        "stage": new["stage"],
        "attached_at": iso(new["created_at"]),
        "matched_attachment_id": old["attachment_id"],
        "matched_case_id": other_case["id"],
        "matched_number": other_case["number"],
        "matched_stage": old["stage"],
        "matched_attached_at": iso(old["created_at"]),
        "days_earlier": round(days, 1),
        "same_worker": bool(new["worker_id"]) and new["worker_id"] == old["worker_id"],
        "same_file": new["sha256"] == old["sha256"],
        "distance": figures["distance"],
        "inliers": figures["inliers"],
        "mirrored": figures.get("mirrored", False),
        # Degrees the earlier photo was turned, as a person says it (-90, not 270); a hand's
        # tilt of a degree or two is not worth saying.
        "rotation": rotation if abs(rotation) >= 3 else 0,
        "scale": figures.get("scale"),
        "coverage": figures.get("coverage"),
        "framed": figures.get("screenshot", False),
        "changed": figures.get("changed"),
    }
