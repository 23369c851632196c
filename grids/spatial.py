"""Point → grid cell lookup (which cell is this GPS fix in?).

An STRtree over every cell's polygon answers a lookup in microseconds. The index lives in
the process and is rebuilt when cells change: at once in this process (model signals), and
within ``GRID_INDEX_RECHECK_SECONDS`` in other processes (the web process notices a cell
saved by the worker or the admin through a cheap count/max(updated_at) stamp).

A point on an edge shared by two cells belongs to the cell with the lowest full code, so the
same fix always files into the same cell.

The index also keeps each cell's codes and parents (community, street, district), so filing a
point needs no query of its own (only the index's freshness check, at most every
``GRID_INDEX_RECHECK_SECONDS``): ``cell_at`` hands out a fresh ``GridCell`` with those parents
attached, every other field deferred (read from the database only if a caller touches it).
Parents are watched like cells: a saved community, street or district rebuilds the index.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Max

from .geometry import degree_box
from .models import Community, District, GridCell, Street

# What the index keeps of each cell besides its polygon, by model: the fields ``cell_at``
# fills in (a cell's own, then its community's, street's and district's).
PARENT_FIELDS: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (GridCell, "", ("id", "name", "code", "full_code", "community_id")),
    (Community, "community__", ("id", "name", "code", "full_code", "street_id")),
    (Street, "community__street__", ("id", "name", "code", "full_code", "district_id")),
    (District, "community__street__district__", ("id", "name", "code", "full_code")),
)
_ROW_FIELDS = [prefix + name for _model, prefix, names in PARENT_FIELDS for name in names]


class CellIndex:
    """An immutable spatial index over a set of cells.

    ``cells`` are ``(id, full_code, geometry)`` rows, optionally followed by the values of
    ``_ROW_FIELDS`` (what ``from_queryset`` reads) for ``cell``.
    """

    def __init__(self, cells: Sequence[tuple]) -> None:
        # Sorted by full code: the tree index order is the tie-break order on shared edges.
        ordered = sorted(cells, key=lambda row: row[1])
        self.ids = np.array([row[0] for row in ordered], dtype=np.int64)
        self.codes = [row[1] for row in ordered]
        self.geoms = np.array([shapely.geometry.shape(row[2]) for row in ordered], dtype=object)
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self._rows = {row[0]: row[3:] for row in ordered if len(row) > 3}

    def __len__(self) -> int:
        return len(self.ids)

    def lookup(self, lon: float, lat: float) -> int | None:
        """The id of the cell covering (lon, lat), or None outside every cell."""
        hits = self.tree.query(shapely.Point(lon, lat), predicate="covered_by")
        if hits.size == 0:
            return None
        return int(self.ids[hits.min()])

    def ids_within(self, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> list:
        """Ids of the cells whose shape meets the box (a point's neighbourhood)."""
        hits = self.tree.query(
            shapely.box(min_lon, min_lat, max_lon, max_lat), predicate="intersects"
        )
        return sorted(int(i) for i in self.ids[hits])

    def lookup_many(self, lons: Sequence[float], lats: Sequence[float]) -> np.ndarray:
        """Vectorised lookup: an array of cell ids, -1 where a point is in no cell."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        point_idx, tree_idx = self.tree.query(points, predicate="covered_by")
        best = np.full(len(points), len(self.ids), dtype=np.int64)
        np.minimum.at(best, point_idx, tree_idx)
        found = best < len(self.ids)
        out = np.full(len(points), -1, dtype=np.int64)
        out[found] = self.ids[best[found]]
        return out

    def cell(self, cell_id: int) -> GridCell | None:
        """A new ``GridCell`` for ``cell_id`` with its community, street and district, built
        from what the index keeps (no query); None for a cell this index does not know or
        keeps no parents of. Fields the index does not keep are deferred."""
        row = self._rows.get(cell_id)
        if row is None:
            return None
        parts, at = [], 0
        for model, _prefix, names in PARENT_FIELDS:
            values = dict(zip(names, row[at : at + len(names)], strict=True))
            # from_db takes the loaded values in the model's field order, the rest deferred.
            loaded = [f.attname for f in model._meta.concrete_fields if f.attname in values]
            parts.append(model.from_db("default", loaded, [values[name] for name in loaded]))
            at += len(names)
        cell, community, street, district = parts
        street.district = district
        community.street = street
        cell.community = community
        return cell

    @classmethod
    def from_queryset(cls, queryset=None) -> CellIndex:
        queryset = GridCell.objects.all() if queryset is None else queryset
        rows = queryset.values_list("geometry", *_ROW_FIELDS)
        # (id, full_code, geometry, *the _ROW_FIELDS): the cell's id and full code are the
        # first and fourth of those.
        return cls([(row[1], row[4], *row) for row in rows.iterator(chunk_size=1000)])


_lock = threading.Lock()
_index: CellIndex | None = None
_stamp: tuple | None = None
_checked_at = 0.0


def _current_stamp() -> tuple:
    """How many rows each level has and when one last changed: cells, and the parents whose
    codes and ids the index keeps."""
    return tuple(
        tuple(model.objects.aggregate(n=Count("id"), changed=Max("updated_at")).values())
        for model, _prefix, _names in PARENT_FIELDS
    )


def get_cell_index() -> CellIndex:
    """The process-wide index, rebuilt when the cells in the database have changed."""
    global _index, _stamp, _checked_at
    with _lock:
        now = time.monotonic()
        if _index is None or now - _checked_at >= settings.GRID_INDEX_RECHECK_SECONDS:
            stamp = _current_stamp()
            if _index is None or stamp != _stamp:
                _index, _stamp = CellIndex.from_queryset(), stamp
            _checked_at = now
        return _index


def invalidate_cell_index() -> None:
    global _index
    with _lock:
        _index = None


def cell_id_at(lon: float, lat: float) -> int | None:
    return get_cell_index().lookup(lon, lat)


def cell_ids_near(lon: float, lat: float, *, metres: float) -> list[int]:
    """Ids of the cells within about ``metres`` of a point (those meeting the square around
    it): the cells whose cases a "nearby" search must look at."""
    dlon, dlat = degree_box(lat, metres)
    return get_cell_index().ids_within(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def cell_at(lon: float, lat: float) -> GridCell | None:
    """The grid cell a point (WGS-84 lon, lat) falls in, with its community, street and
    district (ids, codes and names loaded; no query once the index is built)."""
    index = get_cell_index()
    cell_id = index.lookup(lon, lat)
    return None if cell_id is None else index.cell(cell_id)
