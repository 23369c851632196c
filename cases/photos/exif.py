"""What a photo's EXIF says about when and where it was taken — the only EXIF GridGov keeps
(as columns of ``Attachment``; the stored file has none). Camera, serial numbers, software
and everything else are dropped with the re-encoding.

A value that cannot be right is left out rather than stored: a time before 1990 or more
than a day ahead, a position off the globe, 0°/0° (what a phone without a fix writes).
Malformed EXIF never refuses a photo; it only yields no facts.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone as django_timezone
from PIL import ExifTags, Image

logger = logging.getLogger(__name__)

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
# (time, its UTC offset): when the shutter opened, else when the picture was digitised.
_TIME_TAGS = (
    (ExifTags.Base.DateTimeOriginal, ExifTags.Base.OffsetTimeOriginal),
    (ExifTags.Base.DateTimeDigitized, ExifTags.Base.OffsetTimeDigitized),
)


@dataclass(frozen=True)
class CaptureFacts:
    taken_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


def _taken_at(details: dict) -> datetime | None:
    for time_tag, offset_tag in _TIME_TAGS:
        try:
            naive = datetime.strptime(_text(details.get(time_tag)), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        offset = _OFFSET.match(_text(details.get(offset_tag)))
        if offset:
            sign = -1 if offset[1] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3])))
        else:  # no offset: the camera's clock showed local time, the district's
            zone = ZoneInfo(settings.TIME_ZONE)
        moment = naive.replace(tzinfo=zone)
        if EARLIEST <= moment <= django_timezone.now() + timedelta(days=1):
            return moment
    return None


def _degrees(value, ref, *, positive: str, negative: str, limit: float) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(v) and v >= 0 for v in (degrees, minutes, seconds)):
        return None
    if minutes >= 60 or seconds >= 60:
        return None
    total = degrees + minutes / 60 + seconds / 3600
    sign = {positive: 1, negative: -1}.get(_text(ref).upper())
    if sign is None or total > limit:
        return None
    return sign * total


def capture_facts(image: Image.Image) -> CaptureFacts:
    """The capture time (aware) and WGS-84 position in ``image``'s EXIF, where present."""
    try:
        exif = image.getexif()
        taken_at = _taken_at(exif.get_ifd(ExifTags.IFD.Exif))
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception as exc:  # any parser error in untrusted EXIF: no facts
        logger.info("unreadable EXIF ignored: %s: %s", type(exc).__name__, exc)
        return CaptureFacts()
    lat = _degrees(
        gps.get(ExifTags.GPS.GPSLatitude),
        gps.get(ExifTags.GPS.GPSLatitudeRef),
        positive="N",
        negative="S",
        limit=90,
    )
    lon = _degrees(
        gps.get(ExifTags.GPS.GPSLongitude),
        gps.get(ExifTags.GPS.GPSLongitudeRef),
        positive="E",
        negative="W",
        limit=180,
    )
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return CaptureFacts(taken_at=taken_at)
    return CaptureFacts(taken_at=taken_at, lat=lat, lon=lon)
