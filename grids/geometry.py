"""Geometry helpers: GeoJSON (WGS-84 lon/lat) in, shapely out, areas in square metres.

Everything spatial in GridGov goes through shapely; no system GIS library is needed.
Areas use a local equirectangular projection around the shape's own latitude, which is
accurate to well under 1% at the size of a street or a grid cell.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

# Metres per degree of latitude (mean) and of longitude at the equator (WGS-84).
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0
# Great-circle distances (haversine on the mean Earth radius) and square boxes around a point,
# for "what is near this fix" searches narrowed by a lon/lat box before the exact distance.
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180
# Slivers smaller than this (floating-point noise on shared edges) are not gaps or overlaps.
AREA_TOLERANCE_M2 = 1.0

POLYGON_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Footprint:
    """What a territory row stores besides its GeoJSON: bounding box and area."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    area_m2: float

    def as_fields(self) -> dict[str, float]:
        return {
            "min_lon": self.min_lon,
            "min_lat": self.min_lat,
            "max_lon": self.max_lon,
            "max_lat": self.max_lat,
            "area_m2": self.area_m2,
        }


def to_metres(geom: BaseGeometry, *, lat0: float | None = None) -> BaseGeometry:
    """Project lon/lat degrees to local metres around latitude ``lat0`` (default: centre)."""
    if lat0 is None:
        lat0 = geom.centroid.y if not geom.is_empty else 0.0
    kx = M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
    return shapely.transform(geom, lambda xy: xy * (kx, M_PER_DEG_LAT))


def area_m2(geom: BaseGeometry, *, lat0: float | None = None) -> float:
    return float(to_metres(geom, lat0=lat0).area)


def footprint(geom: BaseGeometry) -> Footprint:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return Footprint(min_lon, min_lat, max_lon, max_lat, round(area_m2(geom), 2))


def parse_polygon(value: Any) -> BaseGeometry:
    """Parse a GeoJSON Polygon/MultiPolygon (dict or JSON text) into a valid shapely shape.

    Raises ValidationError with a message that says what is wrong: not JSON, not a polygon,
    coordinates outside WGS-84, or an invalid ring (self-intersection, with its location).
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("Geometry is not valid JSON: %(error)s") % {"error": exc}
            ) from exc
    if not isinstance(value, dict) or "type" not in value:
        raise ValidationError(_("Geometry must be a GeoJSON object with a 'type'."))
    if value.get("type") == "Feature":
        value = value.get("geometry") or {}
    if value.get("type") not in POLYGON_TYPES:
        raise ValidationError(
            _("Geometry must be a GeoJSON Polygon or MultiPolygon, not %(type)s.")
            % {"type": value.get("type")}
        )
    try:
        geom = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValidationError(
            _("Geometry coordinates are malformed: %(error)s") % {"error": exc}
        ) from exc
    if geom.is_empty:
        raise ValidationError(_("Geometry is empty."))
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError(
            _("Coordinates must be WGS-84 longitude/latitude in degrees (lon, lat order).")
        )
    if not geom.is_valid:
        raise ValidationError(
            _("Geometry is not a valid polygon: %(reason)s") % {"reason": explain_validity(geom)}
        )
    return geom


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """GeoJSON dict for a shapely shape (tuples become lists so it round-trips through JSON)."""
    return json.loads(json.dumps(mapping(geom)))


def describe_point(geom: BaseGeometry) -> str:
    """A representative point inside ``geom`` as "lon, lat" for messages."""
    p = geom.representative_point()
    return f"{p.x:.6f}, {p.y:.6f}"


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (degrees)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def haversine_array(lon1, lat1, lon2, lat2) -> np.ndarray:
    """``haversine_m`` over arrays (degrees; broadcast like any numpy operation)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = phi2 - phi1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def moved(lon: float, lat: float, metres: float, bearing: float) -> tuple[float, float]:
    """The point ``metres`` from ``(lon, lat)`` towards ``bearing`` (radians, counter-clockwise
    from east), rounded to 6 decimals (~0.1 m) as points are stored; for the short distances
    of a phone's scatter or a spot's surroundings."""
    dlon, dlat = degree_box(lat, metres)
    return round(lon + dlon * math.cos(bearing), 6), round(lat + dlat * math.sin(bearing), 6)


def degree_box(lat: float, metres: float) -> tuple[float, float]:
    """``(dlon, dlat)``: the half-sides in degrees of a square of ``2 × metres`` around a point
    at latitude ``lat`` (longitude widened by 1/cos(lat), clamped near the poles)."""
    dlat = metres / METRES_PER_DEGREE_LAT
    return dlat / max(math.cos(math.radians(lat)), 1e-6), dlat
