"""The same photo on different cases (照片重复使用): one picture passed off as evidence twice.

Each attachment gets a 64-bit perceptual hash (pHash, ``imagehash``) that survives
re-encoding, resizing, light crops and brightness changes. A photo attached in the window is
flagged when a photo of *another* case, attached before it within
``INTEGRITY_PHOTO_LOOKBACK_DAYS`` (365), has a hash at Hamming distance at most
``INTEGRITY_PHOTO_MAX_DISTANCE`` (8 of 64 bits). Measured on synthetic photos
(bench/integrity.py): a copy re-saved as JPEG (quality 50–90), cropped up to 12 px,
rescaled and brightened ±15 % stays within 8 for about 96 % of copies; another shot of the
same scene with other objects in it falls within 8 about 1 % of the time, unrelated photos
almost never (median 31). Pairs where one case was merged into the other are left alone (a
resident re-sending their picture is not a fake). Blank and tiny images are never compared.
The flag sits on the later case and names the earlier one(s); the subject is whoever
attached the later photo.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import numpy as np

from cases.models import Attachment, Case

from ..conf import setting
from ..models import PhotoHash, Rule
from ..photos import ensure_hashes, to_unsigned
from .base import FlagDraft, Window, iso


def _popcount(values: np.ndarray) -> np.ndarray:
    return np.bitwise_count(values)


def reused_photos(window: Window) -> list[FlagDraft]:
    max_distance = int(setting("INTEGRITY_PHOTO_MAX_DISTANCE"))
    start = window.since - timedelta(days=float(setting("INTEGRITY_PHOTO_LOOKBACK_DAYS")))
    in_span = {"created_at__gte": start, "created_at__lt": window.until}
    ensure_hashes(
        Attachment.objects.filter(**in_span, photo_hash__isnull=True)
        .only("id", "file")
        .iterator(chunk_size=500)
    )
    rows = list(
        PhotoHash.objects.filter(
            informative=True,
            attachment__created_at__gte=start,
            attachment__created_at__lt=window.until,
        )
        .order_by("attachment__created_at", "attachment_id")
        .values_list(
            "attachment_id",
            "attachment__case_id",
            "phash",
            "sha256",
            "attachment__created_at",
            "attachment__stage",
            "attachment__event__actor_id",
        )
    )
    if not rows:
        return []
    hashes = np.array([to_unsigned(r[2]) for r in rows], dtype=np.uint64)
    case_of = np.array([r[1] for r in rows], dtype=np.int64)
    found: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # case → (new, old, d)
    for index, row in enumerate(rows):
        if row[4] < window.since or (window.case_ids is not None and row[1] not in window.case_ids):
            continue
        # Rows are in (created_at, id) order: the earlier photos are the ones before it.
        distances = _popcount(hashes[:index] ^ hashes[index])
        close = np.nonzero((distances <= max_distance) & (case_of[:index] != row[1]))[0]
        for other in close:
            found[row[1]].append((index, int(other), int(distances[other])))
    if not found:
        return []
    involved = {rows[o][1] for pairs in found.values() for _n, o, _d in pairs} | set(found)
    cases = {
        c["id"]: c
        for c in Case.objects.filter(pk__in=sorted(involved)).values(
            "id", "number", "reporter_id", "duplicate_of_id"
        )
    }
    drafts = []
    for case_id, pairs in found.items():
        case = cases[case_id]
        evidence = []
        for new, old, distance in sorted(pairs, key=lambda p: (p[2], p[1])):
            other = cases[rows[old][1]]
            if case["duplicate_of_id"] == other["id"] or other["duplicate_of_id"] == case_id:
                continue
            evidence.append(
                {
                    "attachment_id": rows[new][0],
                    "stage": rows[new][5],
                    "attached_at": iso(rows[new][4]),
                    "matched_attachment_id": rows[old][0],
                    "matched_case_id": other["id"],
                    "matched_number": other["number"],
                    "matched_stage": rows[old][5],
                    "matched_attached_at": iso(rows[old][4]),
                    "distance": distance,
                    "same_file": rows[new][3] == rows[old][3],
                    "phash": f"{to_unsigned(rows[new][2]):016x}",
                    "matched_phash": f"{to_unsigned(rows[old][2]):016x}",
                }
            )
        if not evidence:
            continue
        first = evidence[0]
        subject = rows[pairs[0][0]][6] or case["reporter_id"]
        drafts.append(
            FlagDraft(
                rule=Rule.REUSED_PHOTO,
                case_id=case_id,
                subject_id=subject,
                related_case_ids=sorted({e["matched_case_id"] for e in evidence}),
                evidence={
                    "photos": evidence[:10],
                    "match_count": len(evidence),
                    "closest_distance": first["distance"],
                    "thresholds": {"max_distance": max_distance, "hash_bits": 64},
                },
            )
        )
    return drafts
