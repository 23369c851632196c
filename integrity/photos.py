"""Photo fingerprints (照片指纹) for the reused-photo rule: pHash and SHA-256 per attachment.

Fingerprints are computed by the scan for attachments that have none yet (``ensure_hashes``),
so intake never waits for image decoding and a missed run is caught up by the next one. A
file that cannot be fingerprinted (lost, damaged, a decompression bomb from before uploads
were checked) gets a row with its error and a warning in the log; the scan goes on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

import imagehash
import numpy as np
from PIL import Image, ImageOps

from cases.models import Attachment
from cases.photos import NotAPhoto, open_image

from .models import PhotoHash

logger = logging.getLogger(__name__)

# Below this size or contrast an image carries no fingerprint worth comparing: every blank or
# 1×1 image has the same pHash.
MIN_SIDE_PX = 16
MIN_GREY_STDDEV = 4.0
_UINT64 = 2**64


def to_signed(value: int) -> int:
    """An unsigned 64-bit hash as the signed integer a BIGINT column holds."""
    return value - _UINT64 if value >= 2**63 else value


def to_unsigned(value: int) -> int:
    return value % _UINT64


def fingerprint(data: bytes) -> dict:
    """The ``PhotoHash`` fields of an image's bytes (``error`` set if it cannot be read).

    Never raises: the files are whatever storage holds, including uploads from before the
    photo pipeline. The header is checked as an upload's is (``cases.photos.open_image``:
    JPEG/PNG/WebP, at most ``PHOTO_MAX_PIXELS``) before a pixel is decoded."""
    result = {"sha256": hashlib.sha256(data).hexdigest(), "informative": False}
    try:
        image = open_image(data)
        image = ImageOps.exif_transpose(image)
        result["width"], result["height"] = image.size
        grey = image.convert("L")
        phash = imagehash.phash(grey)
        small = np.asarray(grey.resize((32, 32), Image.Resampling.LANCZOS), dtype=float)
    except NotAPhoto as exc:
        result["error"] = str(exc)[:200]
        return result
    except Exception as exc:  # any decoder error: one bad file must never stop a scan
        result["error"] = f"{type(exc).__name__}: {exc}"[:200]
        return result
    result["phash"] = to_signed(int(str(phash), 16))
    result["informative"] = (
        min(result["width"], result["height"]) >= MIN_SIDE_PX
        and float(small.std()) >= MIN_GREY_STDDEV
    )
    return result


def hash_attachment(attachment: Attachment) -> PhotoHash:
    """An unsaved ``PhotoHash`` for ``attachment``. A missing or unreadable file is recorded
    as an error (so later scans skip it) and logged."""
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError) as exc:
        row = PhotoHash(attachment=attachment, error=f"{type(exc).__name__}: {exc}"[:200])
    else:
        row = PhotoHash(attachment=attachment, **fingerprint(data))
    if row.error:
        logger.warning(
            "photo fingerprint: attachment %s (%s) skipped: %s",
            attachment.pk,
            attachment.file.name,
            row.error,
        )
    return row


def ensure_hashes(attachments: Iterable[Attachment], *, batch: int = 200) -> int:
    """Fingerprint the attachments that have none yet; returns how many were added.
    Safe to run twice or concurrently (a row already there is kept)."""
    todo: list[PhotoHash] = []
    added = 0
    for attachment in attachments:
        todo.append(hash_attachment(attachment))
        if len(todo) >= batch:
            added += len(PhotoHash.objects.bulk_create(todo, ignore_conflicts=True))
            todo = []
    if todo:
        added += len(PhotoHash.objects.bulk_create(todo, ignore_conflicts=True))
    return added
