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

import math
import threading
import time
from collections.abc import Sequence

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Max, signals
from django.db.models.base import ModelState

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
# The lookup raster (``CellIndex._build_grid``): about this many squares per cell (a
# 3,000-cell district gets 310² squares, built in well under a second on a quiet machine).
SQUARES_PER_CELL = 32
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
        self._build_grid()
        self._parts: dict[int, tuple] = {}  # per cell id: its ``_split`` row, once asked for
        self._plain: bool | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def _build_grid(self) -> None:
        """A raster over the cells' bounds, ``SQUARES_PER_CELL`` squares a cell: the squares
        that lie strictly inside one cell (most of them) answer a lookup with arithmetic
        alone; a square on an edge, or outside, asks the tree. Strictly inside: a point on
        an edge shared by two cells still gets the lowest code."""
        self._grid: list[int] = []
        if not len(self.geoms):
            return
        self._side = side = max(8, math.isqrt(SQUARES_PER_CELL * len(self.geoms)))
        x0, y0, x1, y1 = shapely.total_bounds(self.geoms)
        self._x0, self._y0 = x0, y0
        self._fx, self._fy = side / max(x1 - x0, 1e-12), side / max(y1 - y0, 1e-12)
        cols, rows = np.meshgrid(np.arange(side), np.arange(side))
        cols, rows = cols.ravel(), rows.ravel()
        squares = shapely.box(
            x0 + cols / self._fx,
            y0 + rows / self._fy,
            x0 + (cols + 1) / self._fx,
            y0 + (rows + 1) / self._fy,
        )
        square_idx, geom_idx = self.tree.query(squares, predicate="within")
        inside = shapely.contains_properly(self.geoms[geom_idx], squares[square_idx])
        square_idx, geom_idx = square_idx[inside], geom_idx[inside]
        grid = np.zeros(side * side, dtype=np.int64)  # 0: ask the tree (ids are > 0)
        grid[square_idx] = self.ids[geom_idx]
        # Inside two cells (overlapping cells, which coverage checks refuse): ask the tree.
        grid[np.bincount(square_idx, minlength=side * side) > 1] = 0
        self._grid = grid.tolist()

    def lookup(self, lon: float, lat: float) -> int | None:
        """The id of the cell covering (lon, lat), or None outside every cell."""
        if self._grid:
            x, y, side = (lon - self._x0) * self._fx, (lat - self._y0) * self._fy, self._side
            if x < 0 or y < 0 or x > side or y > side:
                return None  # outside the bounds of every cell
            if x < side and y < side:
                hit = self._grid[int(y) * side + int(x)]
                if hit:
                    return hit
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
        parts = self._parts.get(cell_id)
        if parts is None:
            row = self._rows.get(cell_id)
            if row is None:
                return None
            parts = self._parts[cell_id] = _split(row)
        if self._plain is None:  # whether the models may be built without __init__
            self._plain = not any(
                signal.has_listeners(model)
                for signal in (signals.pre_init, signals.post_init)
                for model, _prefix, _names in PARENT_FIELDS
            )
        build = _loaded if self._plain else _from_db
        cell, community, street, district = [build(m, v) for m, v in parts]
        # The parents as the foreign keys' descriptors would cache them (ids already agree).
        street._state.fields_cache["district"] = district
        community._state.fields_cache["street"] = street
        cell._state.fields_cache["community"] = community
        return cell

    @classmethod
    def from_queryset(cls, queryset=None) -> CellIndex:
        queryset = GridCell.objects.all() if queryset is None else queryset
        rows = queryset.values_list("geometry", *_ROW_FIELDS)
        # (id, full_code, geometry, *the _ROW_FIELDS): the cell's id and full code are the
        # first and fourth of those.
        return cls([(row[1], row[4], *row) for row in rows.iterator(chunk_size=1000)])


def _split(row: Sequence) -> tuple[tuple[type, dict], ...]:
    """A kept row as (model, {attname: value}) for the cell and each parent."""
    parts, at = [], 0
    for model, _prefix, names in PARENT_FIELDS:
        parts.append((model, dict(zip(names, row[at : at + len(names)], strict=True))))
        at += len(names)
    return tuple(parts)


def _loaded(model: type, values: dict):
    """A ``model`` instance with ``values`` loaded and every other field deferred, as
    ``Model.from_db`` makes it but without ``__init__``'s per-field work (``cell_at`` runs at
    every intake, and that work was most of its cost). Only for models no ``pre_init`` or
    ``post_init`` receiver listens to (``CellIndex.cell`` checks)."""
    obj = model.__new__(model)
    obj.__dict__.update(values)
    state = obj._state = ModelState.__new__(ModelState)
    state.__dict__.update(db="default", adding=False, fields_cache={})
    return obj


def _from_db(model: type, values: dict):
    loaded = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db("default", loaded, [values[name] for name in loaded])


_lock = threading.Lock()
_index: CellIndex | None = None
_stamp: tuple | None = None
_checked_at = 0.0


def territory_stamp() -> tuple:
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
            stamp = territory_stamp()
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
