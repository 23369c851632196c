"""``prepare_photos``: check, decode and re-encode uploaded photos (see the package docstring
for the contract and the order of the checks)."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NoReturn

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import (
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from .capture import Capture
from .contents import carries_more_than_a_picture, has_markup
from .exif import CaptureFacts, capture_facts

logger = logging.getLogger(__name__)

MB = 1024 * 1024
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
THUMBNAIL_QUALITY = 75


class NotAPhoto(Exception):
    """Why a file is not a photo GridGov stores, in words for the person who sent it."""


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready to store: a JPEG with no metadata, its thumbnail, its pixel size, and
    what its EXIF said about when and where it was taken (None where it said nothing)."""

    data: bytes
    thumbnail: bytes
    width: int
    height: int
    taken_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    content_type: str = "image/jpeg"
    capture: Capture | None = None  # what the phone said at capture (cases.photos.capture)


def megabytes(size: int) -> str:
    """A size in MB as a person reads it: 25, 0.25, 0.1."""
    return f"{size / MB:.2f}".rstrip("0").rstrip(".")


def _plugin(data: bytes) -> type[ImageFile.ImageFile] | None:
    """The Pillow plugin for ``data``'s format, told by its first bytes (never by its name or
    declared type). Opening through the plugin rather than ``Image.open`` reads the header
    without Pillow's own bomb check, which raises before the size can be named (and whose
    limit is higher than ours)."""
    if data.startswith(b"\xff\xd8\xff"):
        return JpegImagePlugin.JpegImageFile
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PngImagePlugin.PngImageFile
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WebPImagePlugin.WebPImageFile
    return None


def open_image(data: bytes) -> Image.Image:
    """``data`` opened as a JPEG, PNG or WebP with only its header read; ``NotAPhoto`` if it
    is none of them or declares more than ``PHOTO_MAX_PIXELS`` pixels. Nothing is decoded:
    the caller decides whether to ``load()``."""
    plugin = _plugin(data)
    if plugin is None:
        raise NotAPhoto(_("not a JPEG, PNG or WebP image."))
    limit = settings.PHOTO_MAX_PIXELS
    try:
        image = plugin(io.BytesIO(data))
    except Image.DecompressionBombError:  # the WebP plugin checks its canvas itself
        raise NotAPhoto(
            _("it declares far more pixels than a photo has; at most %(limit)d megapixels.")
            % {"limit": limit // 1_000_000}
        ) from None
    except Exception as exc:  # any parser error on an untrusted header
        logger.info("photo header refused: %s: %s", type(exc).__name__, exc)
        raise NotAPhoto(_("the image is damaged or incomplete.")) from None
    pixels = image.width * image.height
    if pixels > limit:
        raise NotAPhoto(
            _("%(pixels)d megapixels is more than a photo needs; at most %(limit)d are accepted.")
            % {"pixels": round(pixels / 1e6), "limit": limit // 1_000_000}
        )
    return image


def _srgb_rgb(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit RGB in sRGB: colours converted from an embedded ICC profile (a
    phone's Display P3, a print shop's CMYK), transparency laid on white."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the colours as they are
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey: keep the top 8 bits
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _encoded(image: Image.Image, *, quality: int) -> bytes:
    """``image`` as a JPEG carrying no metadata at all."""
    image.info = {}  # the encoder takes a comment (and, in later Pillows, more) from here
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _decoded(image: Image.Image) -> tuple[Image.Image, CaptureFacts]:
    """The pixels, upright, and the capture facts of ``image`` (header already checked)."""
    long_side = settings.PHOTO_LONG_SIDE_PX
    if image.format == "JPEG":
        # Decode at 1/2, 1/4 or 1/8 scale where that still covers the stored size: a 48 MP
        # photo then costs a quarter of the memory.
        scale = long_side / max(image.size)
        if scale < 1:
            image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
    image.load()
    # Text that Pillow decompressed (PNG zTXt/iTXt) is only seen once loaded.
    if has_markup(*(v for v in image.info.values() if isinstance(v, (str, bytes)))):
        raise NotAPhoto(_("it carries data that is not part of a picture."))
    facts = capture_facts(image)  # before the orientation is applied and dropped
    ImageOps.exif_transpose(image, in_place=True)
    return image, facts


def prepare_photo(data: bytes) -> PreparedPhoto:
    """One file's bytes as a ``PreparedPhoto``; ``NotAPhoto`` saying why not."""
    image = open_image(data)
    if carries_more_than_a_picture(data, image.format):
        raise NotAPhoto(_("it carries data that is not part of a picture."))
    try:
        image, facts = _decoded(image)
        picture = _srgb_rgb(image)
        del image  # only one full-size copy alive while shrinking
        long_side = settings.PHOTO_LONG_SIDE_PX
        picture.thumbnail((long_side, long_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
        small = picture.copy()
        small.thumbnail((settings.PHOTO_THUMBNAIL_PX,) * 2, Image.Resampling.LANCZOS)
        stored = _encoded(picture, quality=settings.PHOTO_JPEG_QUALITY)
        thumbnail = _encoded(small, quality=THUMBNAIL_QUALITY)
    except NotAPhoto:
        raise
    except Exception as exc:  # decoders raise many types on broken input
        logger.info("photo refused while decoding: %s: %s", type(exc).__name__, exc)
        raise NotAPhoto(_("the image is damaged or incomplete.")) from None
    return PreparedPhoto(
        data=stored,
        thumbnail=thumbnail,
        width=picture.width,
        height=picture.height,
        taken_at=facts.taken_at,
        lat=facts.lat,
        lon=facts.lon,
    )


def _name(file, number: int) -> str:
    name = os.path.basename(getattr(file, "name", None) or "")
    return name[:80] or _("photo %(number)d") % {"number": number}


def _refuse(message: str) -> NoReturn:
    raise ValidationError({"photos": [message]})


def _check_request(files: list) -> None:
    """The whole request's limits, from the files' sizes: nothing is read yet."""
    count, limit = len(files), settings.PHOTO_MAX_PER_REQUEST
    if count > limit:
        _refuse(
            _("Send at most %(limit)d photos at a time; %(count)d were sent.")
            % {"limit": limit, "count": count}
        )
    total = sum(f.size for f in files if not isinstance(f, PreparedPhoto))
    if total > settings.PHOTO_MAX_REQUEST_BYTES:
        _refuse(
            _("Photos may be at most %(limit)s MB together; these are %(size)s MB.")
            % {"limit": megabytes(settings.PHOTO_MAX_REQUEST_BYTES), "size": megabytes(total)}
        )


def _read(file) -> bytes:
    limit = settings.PHOTO_MAX_FILE_BYTES
    too_large = NotAPhoto(
        _("a photo may be at most %(limit)s MB; this one is %(size)s MB.")
        % {"limit": megabytes(limit), "size": megabytes(file.size)}
    )
    if file.size > limit:
        raise too_large
    file.seek(0)
    data = file.read(limit + 1)  # never more than the limit, whatever ``size`` claimed
    file.seek(0)
    if len(data) > limit:
        raise too_large
    return data


def prepare_photos(files: Sequence, *, required: bool = False) -> list[PreparedPhoto]:
    """The ``files`` checked and re-encoded, in order (see the package docstring).
    ``ValidationError({"photos": [...]})``: none sent though ``required``, the request's
    limit that was passed, or one message per refused file, each naming it."""
    files = list(files)
    if required and not files:
        _refuse(_("This category needs a photo at this step."))
    _check_request(files)
    prepared: list[PreparedPhoto] = []
    errors: list[str] = []
    for number, file in enumerate(files, start=1):
        if isinstance(file, PreparedPhoto):
            prepared.append(file)
            continue
        try:
            photo = prepare_photo(_read(file))
            prepared.append(replace(photo, capture=getattr(file, "capture", None)))
        except NotAPhoto as exc:
            errors.append(
                _("Photo %(number)d (%(name)s): %(reason)s")
                % {"number": number, "name": _name(file, number), "reason": exc}
            )
    if errors:
        raise ValidationError({"photos": errors})
    return prepared
