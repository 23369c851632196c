"""The evidence strip (水印条) of a photo: when, where (GPS and accuracy, the cell), by whom,
and what the server found doubtful (far from the case, a phone clock that was off). Shown over
the photo on the case page and burnt into exported copies; the stored original stays clean.
"""

from __future__ import annotations

import io
import logging
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)


def strip_lines(attachment, *, by) -> list[str]:
    """The strip's lines for ``attachment`` taken by ``by`` (a user, or None: a resident)."""
    when = attachment.capture_at or attachment.taken_at or attachment.created_at
    first = [timezone.localtime(when).strftime("%Y-%m-%d %H:%M:%S")]
    first.append(str(by) if by is not None else _("a resident"))
    lines = [" · ".join(first)]
    if attachment.capture_lon is not None:
        where = f"{attachment.capture_lat:.5f}, {attachment.capture_lon:.5f}"
        if attachment.capture_accuracy_m is not None:
            where += f" ±{attachment.capture_accuracy_m:.0f} m"
        cell = attachment.capture_cell
        place = f"{cell.name} {cell.full_code}" if cell else _("outside every grid cell")
        lines.append(f"{where} · {place}")
    else:
        lines.append(_("no GPS position from the phone"))
    if attachment.is_far:
        lines.append(
            _("⚠ taken %(m)d m from the case") % {"m": round(attachment.capture_distance_m)}
        )
    if attachment.clock_off:
        lines.append(
            _("⚠ the phone's clock was off by %(min)d min")
            % {"min": round(attachment.clock_skew_s / 60)}
        )
    return lines


@cache
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(settings.PHOTO_STRIP_FONT, size)
    except OSError:  # no CJK font on this machine: Pillow's own (Latin only) rather than none
        logger.warning("photo strip font %s not found", settings.PHOTO_STRIP_FONT)
        return ImageFont.load_default(size)


def burnt_in(photo: bytes, lines: list[str]) -> bytes:
    """A JPEG of ``photo`` with ``lines`` written on a dark band below it (the picture is not
    covered: the band is added)."""
    image = Image.open(io.BytesIO(photo)).convert("RGB")
    size = max(14, image.width // 45)
    font = _font(size)
    pad = size // 2
    band = len(lines) * (size + pad) + pad
    out = Image.new("RGB", (image.width, image.height + band), (20, 20, 20))
    out.paste(image, (0, 0))
    draw = ImageDraw.Draw(out)
    for n, line in enumerate(lines):
        draw.text((pad, image.height + pad + n * (size + pad)), line, font=font, fill="white")
    buffer = io.BytesIO()
    out.save(buffer, "JPEG", quality=settings.PHOTO_JPEG_QUALITY)
    return buffer.getvalue()
