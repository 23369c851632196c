"""What the phone says about each photo when it was taken (拍摄信息): the capture time, the
GPS fix and its accuracy — sent beside the photos as optional parallel fields, one value per
photo in the order of ``photos``:

    photo_taken_at  ISO 8601 time of capture (the phone's clock)
    photo_lon, photo_lat, photo_accuracy  the fix (WGS-84 degrees, metres)
    client_now  the phone's clock when it sent the request, once

The phone's clock is checked against the server's: the skew (``client_now`` minus the time the
server received the request) is stored, and the capture time is stored corrected by it. A
client that sends none of this (older apps, the API without it) stores photos as before.

``attach_captures`` reads and checks the fields (``ValidationError`` naming the field: a 400)
and hangs a ``Capture`` on each uploaded file; ``prepare_photos`` carries it into the
``PreparedPhoto`` and ``Attachment.build`` stores it with the cell and the distance to the
case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

FIELDS = ("photo_taken_at", "photo_lon", "photo_lat", "photo_accuracy", "client_now")


@dataclass(frozen=True)
class Capture:
    """One photo's capture facts, the time already on the server's clock."""

    taken_at: datetime | None
    lon: float | None
    lat: float | None
    accuracy_m: float | None
    clock_skew_s: int | None


def _time(value: str, field: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValidationError({field: [_("Enter a valid date/time.")]})
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _number(value: str, field: str, low: float, high: float) -> float | None:
    if value in ("", None):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not low <= number <= high:  # NaN fails too
        raise ValidationError(
            {field: [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]}
        )
    return number


def _nth(values: list, n: int) -> str:
    return values[n] if n < len(values) else ""


def read_captures(data, count: int, *, now: datetime | None = None) -> list[Capture | None]:
    """The capture facts of ``count`` photos from ``data`` (a QueryDict or a dict of lists).
    ``None`` for a photo the phone said nothing about."""
    now = now or timezone.now()
    lists = {
        f: (data.getlist(f) if hasattr(data, "getlist") else list(data.get(f) or []))
        for f in FIELDS
    }
    client_now = _time(_nth(lists["client_now"], 0), "client_now")
    skew = round((client_now - now).total_seconds()) if client_now else None
    captures: list[Capture | None] = []
    for n in range(count):
        taken_at = _time(_nth(lists["photo_taken_at"], n), "photo_taken_at")
        lon = _number(_nth(lists["photo_lon"], n), "photo_lon", -180, 180)
        lat = _number(_nth(lists["photo_lat"], n), "photo_lat", -90, 90)
        accuracy = _number(_nth(lists["photo_accuracy"], n), "photo_accuracy", 0, 100_000)
        if (lon is None) != (lat is None):
            raise ValidationError({"photo_lat": [_("Give both lon and lat, or neither.")]})
        if taken_at is not None and skew is not None:
            taken_at -= timedelta(seconds=skew)
        if taken_at is None and lon is None:
            captures.append(None)
        else:
            captures.append(Capture(taken_at, lon, lat, accuracy, skew))
    return captures


def attach_captures(data, files: list) -> list:
    """``files`` with their ``Capture`` (attribute ``capture``) from ``data``'s fields."""
    for file, capture in zip(files, read_captures(data, len(files)), strict=True):
        file.capture = capture
    return files
