"""Which earlier photos a new photo reproduces: cheap candidates, then the geometric check.

The geometric check (``photo_features.compare``, a few milliseconds a pair) cannot run
against every photo of a year, so each new photo is compared only with the earlier photos
a cheating worker would reuse (``candidates``):

- any photo in the district whose pHash is within ``INTEGRITY_PHOTO_CANDIDATE_DISTANCE``
  bits of the new photo as taken, mirrored or turned by a quarter turn (a copy, flipped,
  rotated, recompressed or recoloured);
- the photos the same worker attached (their own archive);
- the photos of cases within ``INTEGRITY_PHOTO_NEARBY_M`` (a colleague's photo of a
  neighbouring cell, the same spot photographed again);

closest hash first, then the most recent, at most ``INTEGRITY_PHOTO_MAX_CANDIDATES``.
Each photo is checked once (``PhotoHash.matched_at``) and every pair that shared enough
points or hash bits is stored with its raw figures; ``is_reuse`` applies the thresholds
when flags are made, so changing one needs no second pass over the images.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from django.utils import timezone

from . import photo_features
from .conf import setting
from .models import PhotoHash
from .photos import to_unsigned, unpack_hashes

logger = logging.getLogger(__name__)

# What is worth storing at all: thresholds (conf.py) are applied on top of these floors.
KEEP_INLIERS = 10
KEEP_DISTANCE = 12
# Below this many keypoints a photo (a smooth wall, a chart) is judged by its hash alone.
MIN_KEYPOINTS = 30
_METRES_PER_DEGREE = 111_195


@dataclass
class PhotoRows:
    """The informative photos of a span, oldest first, as arrays for the prefilter."""

    attachment_ids: np.ndarray
    case_ids: np.ndarray
    workers: np.ndarray  # who attached the photo (the event's actor, else the reporter)
    lon: np.ndarray
    lat: np.ndarray
    phashes: np.ndarray  # unsigned 64-bit
    sha256: list[str]

    @classmethod
    def of(cls, rows: Sequence[dict]) -> PhotoRows:
        return cls(
            attachment_ids=np.array([r["attachment_id"] for r in rows], dtype=np.int64),
            case_ids=np.array([r["case_id"] for r in rows], dtype=np.int64),
            workers=np.array([r["worker_id"] or 0 for r in rows], dtype=np.int64),
            lon=np.array([r["lon"] for r in rows], dtype=float),
            lat=np.array([r["lat"] for r in rows], dtype=float),
            phashes=np.array([to_unsigned(r["phash"]) for r in rows], dtype=np.uint64),
            sha256=[r["sha256"] for r in rows],
        )


def candidates(photos: PhotoRows, index: int, variants: np.ndarray) -> list[tuple[int, int]]:
    """(row index, hash distance) of the earlier photos worth the geometric check for the
    photo at ``index``: rows before it, on other cases, chosen as the module says."""
    earlier = slice(0, index)
    other_case = photos.case_ids[earlier] != photos.case_ids[index]
    distances = np.min(
        np.bitwise_count(photos.phashes[earlier][:, None] ^ variants[None, :]), axis=1
    )
    near_hash = distances <= int(setting("INTEGRITY_PHOTO_CANDIDATE_DISTANCE"))
    worker = photos.workers[index]
    same_worker = (photos.workers[earlier] == worker) & (worker != 0)
    radius = float(setting("INTEGRITY_PHOTO_NEARBY_M")) / _METRES_PER_DEGREE
    dlat = photos.lat[earlier] - photos.lat[index]
    dlon = (photos.lon[earlier] - photos.lon[index]) * math.cos(math.radians(photos.lat[index]))
    nearby = dlat * dlat + dlon * dlon <= radius * radius
    chosen = np.nonzero(other_case & (near_hash | same_worker | nearby))[0]
    # Closest hash first, then the most recent (a later row is a more recent photo).
    order = np.lexsort((-chosen, distances[chosen]))
    limit = int(setting("INTEGRITY_PHOTO_MAX_CANDIDATES"))
    return [(int(chosen[k]), int(distances[chosen[k]])) for k in order[:limit]]


def compare_pair(
    later: photo_features.Features, earlier: photo_features.Features, distance: int
) -> dict | None:
    """The raw figures of one pair, or None when there is nothing worth keeping."""
    poor = min(later.keypoints, earlier.keypoints) < MIN_KEYPOINTS
    match = None if poor else photo_features.compare(later, earlier)
    if match is not None and match.inliers < KEEP_INLIERS:
        match = None
    if match is None and distance > KEEP_DISTANCE:
        return None
    figures = {"distance": distance, "few_keypoints": poor, "inliers": 0}
    if match is not None:
        figures |= {
            "inliers": match.inliers,
            "mirrored": match.mirrored,
            "rotation": match.rotation,
            "scale": match.scale,
            "coverage": match.coverage,
            "screenshot": match.screenshot,
            "changed": match.changed,
        }
    return figures


def is_reuse(figures: dict, *, same_file: bool = False) -> bool:
    """Whether a stored pair means "the same photo passed off again".

    Enough points explained by one homography, the later photo (a screenshot's: the photo it
    frames, ``photo_features.frame``) lying inside the earlier one (a copy shows nothing its
    original did not; another framing of the spot does), and what the overlap shows not
    changed beyond light and noise, in grey or in colour (another day's photo of a recurring
    spot differs where the new problem is, screenshotted or not).
    Photos with too few keypoints to match are judged by their hash, as before local
    features."""
    if same_file:
        return True
    if figures.get("few_keypoints"):
        return figures["distance"] <= int(setting("INTEGRITY_PHOTO_MAX_DISTANCE"))
    if figures["inliers"] < int(setting("INTEGRITY_PHOTO_MIN_INLIERS")):
        return False
    return figures["coverage"] >= float(setting("INTEGRITY_PHOTO_MIN_COVERAGE")) and figures[
        "changed"
    ] <= float(setting("INTEGRITY_PHOTO_MAX_CHANGED"))


def _features(attachment_ids) -> dict[int, tuple[photo_features.Features, np.ndarray]]:
    rows = PhotoHash.objects.filter(attachment_id__in=list(attachment_ids)).values_list(
        "attachment_id", "features", "variants"
    )
    loaded = {}
    for pk, blob, variants in rows.iterator(chunk_size=200):
        if not blob:
            continue
        try:
            loaded[pk] = (photo_features.unpack(bytes(blob)), unpack_hashes(variants))
        except ValueError as exc:  # a record no code of this version wrote: not compared
            logger.warning("photo matching: attachment %s not compared: %s", pk, exc)
    return loaded


def match_new_photos(photos: PhotoRows, pending: Sequence[int], *, batch: int = 50) -> int:
    """Run the geometric check for the rows ``pending`` (indexes into ``photos``) and store
    what each shares with its candidates; returns how many photos were checked."""
    for start in range(0, len(pending), batch):
        chunk = pending[start : start + batch]
        loaded = _features(photos.attachment_ids[i] for i in chunk)
        plans = {}
        for index in chunk:
            own = loaded.get(int(photos.attachment_ids[index]))
            if own is not None:
                plans[index] = candidates(photos, index, own[1])
        needed = {int(photos.attachment_ids[c]) for plan in plans.values() for c, _d in plan}
        loaded |= _features(needed - loaded.keys())
        checked = []
        for index in chunk:
            later = loaded.get(int(photos.attachment_ids[index]))
            found = []
            for other, distance in plans.get(index, []):
                earlier = loaded.get(int(photos.attachment_ids[other]))
                figures = earlier and _compared(
                    later[0], earlier[0], distance, photos, index, other
                )
                if figures:
                    found.append({"attachment_id": int(photos.attachment_ids[other])} | figures)
            checked.append(
                PhotoHash(
                    attachment_id=int(photos.attachment_ids[index]),
                    matches=found,
                    matched_at=timezone.now(),
                )
            )
        PhotoHash.objects.bulk_update(checked, ["matches", "matched_at"])
    return len(pending)


def _compared(later, earlier, distance, photos, index: int, other: int) -> dict | None:
    """``compare_pair``, or None (logged) when OpenCV or the stored features fail on this
    pair: one odd pair must not stop the batch and be retried by every scan."""
    try:
        return compare_pair(later, earlier, distance)
    except (cv2.error, ValueError, OverflowError) as exc:
        logger.warning(
            "photo matching: attachments %s and %s not compared: %r",
            photos.attachment_ids[index],
            photos.attachment_ids[other],
            exc,
        )
        return None
