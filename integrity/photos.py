"""Photo fingerprints (照片指纹) for the reused-photo rule: per attachment, a pHash and the
pHashes of its flipped and rotated copies (cheap candidates), local features (the geometric
check, ``photo_features``) and the SHA-256.

Fingerprints are computed by the scan for attachments that have none yet (``ensure_hashes``),
so intake never waits for image decoding and a missed run is caught up by the next one. A
file that cannot be fingerprinted (lost, damaged, a decompression bomb from before uploads
were checked) gets a row with its error and a warning in the log; the scan goes on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from time import monotonic

import imagehash
import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from PIL import Image, ImageOps

from cases.models import Attachment
from cases.photos import NotAPhoto, open_image

from . import photo_features
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


def _dihedral(image: Image.Image):
    """The 8 ways a photo can be flipped and turned by quarter turns, itself first."""
    for mirrored in (image, ImageOps.mirror(image)):
        for turn in (None, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180,
                     Image.Transpose.ROTATE_270):  # fmt: skip
            yield mirrored if turn is None else mirrored.transpose(turn)


def variant_hashes(grey: Image.Image) -> list[int]:
    """Unsigned pHashes of ``grey`` and its 7 flipped/turned copies (``grey``'s own first)."""
    small = grey.resize((128, 128), Image.Resampling.LANCZOS)
    return [int(str(imagehash.phash(v)), 16) for v in _dihedral(small)]


def pack_hashes(values: list[int]) -> bytes:
    return np.array(values, dtype="<u8").tobytes()


def unpack_hashes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<u8")


def fingerprint(data: bytes) -> dict:
    """The ``PhotoHash`` fields of an image's bytes (``error`` set if it cannot be read).

    Never raises: the files are whatever storage holds, including uploads from before the
    photo pipeline. The header is checked as an upload's is (``cases.photos.open_image``:
    JPEG/PNG/WebP, at most ``PHOTO_MAX_PIXELS``) before a pixel is decoded."""
    result = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "informative": False,
        "version": photo_features.VERSION,
    }
    try:
        image = open_image(data)
        image = ImageOps.exif_transpose(image)
        result["width"], result["height"] = image.size
        # A screenshot is fingerprinted as the photo it frames (``photo_features.frame``).
        framed = photo_features.frame(np.asarray(image.convert("L")))
        if framed is not None:
            image = image.crop(framed[0])
        grey = image.convert("L")
        phash = imagehash.phash(grey)
        small = np.asarray(grey.resize((32, 32), Image.Resampling.LANCZOS), dtype=float)
        informative = min(image.size) >= MIN_SIDE_PX and float(small.std()) >= MIN_GREY_STDDEV
        if informative:
            variants = pack_hashes(variant_hashes(grey))
            share = 1.0 if framed is None else framed[1]
            features = photo_features.pack(photo_features.extract(image, framed=share))
    except NotAPhoto as exc:
        result["error"] = str(exc)[:200]
        return result
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: not this photo's fault, so nothing is recorded for it
    except Exception as exc:  # any decoder error: one bad file must never stop a scan
        result["error"] = f"{type(exc).__name__}: {exc}"[:200]
        return result
    result["phash"] = to_signed(int(str(phash), 16))
    result["informative"] = informative
    if informative:
        result["variants"], result["features"] = variants, features
    return result


def hash_attachment(attachment: Attachment) -> PhotoHash:
    """An unsaved ``PhotoHash`` for ``attachment``. A missing or unreadable file is recorded
    as an error (so later scans skip it) and logged."""
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError) as exc:
        row = PhotoHash(
            attachment=attachment,
            error=f"{type(exc).__name__}: {exc}"[:200],
            version=photo_features.VERSION,
        )
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


def _copy_for(row: PhotoHash, attachment: Attachment) -> PhotoHash:
    fields = {f.attname: getattr(row, f.attname) for f in PhotoHash._meta.concrete_fields}
    return PhotoHash(**(fields | {"attachment_id": attachment.pk}))


def drop_outdated(attachment_ids) -> int:
    """Forget fingerprints computed by an older ``photo_features.VERSION`` among
    ``attachment_ids`` (a queryset or list), so ``ensure_hashes`` computes them again."""
    stale = PhotoHash.objects.filter(
        attachment_id__in=attachment_ids, version__lt=photo_features.VERSION
    )
    return stale.delete()[0]


def ensure_hashes(
    attachments: Iterable[Attachment], *, batch: int = 200, deadline: float | None = None
) -> int:
    """Fingerprint the attachments that have none yet; returns how many were added. Stops
    taking photos once ``monotonic()`` passes ``deadline``: what is left (a year of photos
    after a new fingerprint version, say) waits for the next scan, which must not run out of
    time before the other rules. Safe to run twice or concurrently (a row there is kept)."""
    todo: list[PhotoHash] = []
    added = 0
    # One file under many attachments (the district history's flat stand-in photo) is read
    # once; only featureless rows are kept for this, so the memo stays small.
    seen: dict[str, PhotoHash] = {}
    for attachment in attachments:
        if deadline is not None and monotonic() > deadline:
            break
        row = seen.get(attachment.file.name)
        if row is not None:
            row = _copy_for(row, attachment)
        else:
            row = hash_attachment(attachment)
            if not row.features:
                seen[attachment.file.name] = row
        todo.append(row)
        if len(todo) >= batch:
            added += len(PhotoHash.objects.bulk_create(todo, ignore_conflicts=True))
            todo = []
    if todo:
        added += len(PhotoHash.objects.bulk_create(todo, ignore_conflicts=True))
    return added
