"""Do a community's cells tile it? (街巷定界、规模适度、无缝覆盖: no gaps, no overlaps.)

Reports every gap (community area no cell covers), every overlap (area two cells share) and
every part of a cell that sticks out of its community, each with its area in m² and a
representative point, so a GIS clerk can find it on the map.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from .geometry import AREA_TOLERANCE_M2, area_m2, parse_polygon
from .models import Community


@dataclass(frozen=True)
class CoverageProblem:
    kind: str  # "gap" | "overlap" | "outside"
    community: str  # full code
    cells: tuple[str, ...]  # full codes involved (empty for a gap)
    area_m2: float
    lon: float
    lat: float

    def __str__(self) -> str:
        where = f"at {self.lon:.6f},{self.lat:.6f}"
        who = f" cells {' & '.join(self.cells)}" if self.cells else ""
        return f"{self.kind:<8} community {self.community}{who}: {self.area_m2:.1f} m² {where}"

    def message(self) -> str:
        """The problem in the reader's language (admin messages)."""
        texts = {
            "gap": _("Gap in community %(community)s: %(area).1f m² at %(lon).6f, %(lat).6f"),
            "overlap": _("Cells %(cells)s overlap by %(area).1f m² at %(lon).6f, %(lat).6f"),
            "outside": _(
                "Cell %(cells)s lies outside community %(community)s by %(area).1f m² "
                "at %(lon).6f, %(lat).6f"
            ),
        }
        return texts[self.kind] % {
            "community": self.community,
            "cells": " & ".join(self.cells),
            "area": self.area_m2,
            "lon": self.lon,
            "lat": self.lat,
        }


def _parts(geom: BaseGeometry):
    """Polygonal parts of a geometry, each large enough to matter."""
    for part in shapely.get_parts(geom):
        if part.geom_type in ("Polygon", "MultiPolygon") and area_m2(part) > AREA_TOLERANCE_M2:
            yield part
        elif part.geom_type == "GeometryCollection":
            yield from _parts(part)


def _problem(
    kind: str, community: str, cells: tuple[str, ...], part: BaseGeometry
) -> CoverageProblem:
    point = part.representative_point()
    return CoverageProblem(kind, community, cells, round(area_m2(part), 1), point.x, point.y)


def check_community(community: Community) -> list[CoverageProblem]:
    area = parse_polygon(community.geometry)
    cells = [
        (c.full_code, parse_polygon(c.geometry)) for c in community.cells.order_by("full_code")
    ]
    code = community.full_code
    problems: list[CoverageProblem] = []
    geoms = [g for _, g in cells]

    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j:
            overlap = geoms[i].intersection(geoms[j])
            for part in _parts(overlap):
                problems.append(_problem("overlap", code, (cells[i][0], cells[j][0]), part))

    for cell_code, geom in cells:
        for part in _parts(geom.difference(area)):
            problems.append(_problem("outside", code, (cell_code,), part))

    covered = shapely.union_all(geoms) if geoms else shapely.Polygon()
    for part in _parts(area.difference(covered)):
        problems.append(_problem("gap", code, (), part))
    return problems
