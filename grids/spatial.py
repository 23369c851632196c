"""Point → grid cell lookup (which cell is this GPS fix in?).

An STRtree over every cell's polygon answers a lookup in microseconds. The index lives in
the process and is rebuilt when cells change: at once in this process (model signals), and
within ``GRID_INDEX_RECHECK_SECONDS`` in other processes (the web process notices a cell
saved by the worker or the admin through a cheap count/max(updated_at) stamp).

A point on an edge shared by two cells belongs to the cell with the lowest full code, so the
same fix always files into the same cell.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Max

from .models import GridCell


class CellIndex:
    """An immutable spatial index over a set of cells."""

    def __init__(self, cells: Sequence[tuple[int, str, dict]]) -> None:
        # Sorted by full code: the tree index order is the tie-break order on shared edges.
        ordered = sorted(cells, key=lambda row: row[1])
        self.ids = np.array([row[0] for row in ordered], dtype=np.int64)
        self.codes = [row[1] for row in ordered]
        self.geoms = np.array([shapely.geometry.shape(row[2]) for row in ordered], dtype=object)
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)

    def __len__(self) -> int:
        return len(self.ids)

    def lookup(self, lon: float, lat: float) -> int | None:
        """The id of the cell covering (lon, lat), or None outside every cell."""
        hits = self.tree.query(shapely.Point(lon, lat), predicate="covered_by")
        if hits.size == 0:
            return None
        return int(self.ids[hits.min()])

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

    @classmethod
    def from_queryset(cls, queryset=None) -> CellIndex:
        queryset = GridCell.objects.all() if queryset is None else queryset
        return cls(
            list(queryset.values_list("id", "full_code", "geometry").iterator(chunk_size=1000))
        )


_lock = threading.Lock()
_index: CellIndex | None = None
_stamp: tuple | None = None
_checked_at = 0.0


def _current_stamp() -> tuple:
    row = GridCell.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    return (row["n"], row["changed"])


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


def cell_at(lon: float, lat: float) -> GridCell | None:
    """The grid cell a point (WGS-84 lon, lat) falls in, with its community and street."""
    cell_id = cell_id_at(lon, lat)
    if cell_id is None:
        return None
    return (
        GridCell.objects.select_related("community__street__district")
        # The parents' polygons are large and not needed by callers filing a point.
        .defer(
            "community__geometry",
            "community__street__geometry",
            "community__street__district__geometry",
        )
        .filter(pk=cell_id)
        .first()
    )
