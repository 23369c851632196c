"""Tiles from a local MBTiles or PMTiles file (``MAP_TILES_FILE``), for ``/tiles/z/x/y``.

MBTiles is SQLite (read with the stdlib, read-only, TMS rows: y is flipped); PMTiles is read
with the ``pmtiles`` library from a memory map. Either way a tile is bytes or ``None``.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import TileType

_PMTILES_FORMATS = {TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def _path() -> Path:
    return Path(settings.MAP_TILES_FILE)


def _mbtiles(path: Path) -> sqlite3.Connection:
    # A connection per call: opening a local SQLite file is cheap and threads never share one.
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


@lru_cache(maxsize=4)
def _pmtiles(path: Path) -> Reader:
    return Reader(MmapSource(path.open("rb")))


def _is_pmtiles(path: Path) -> bool:
    return path.suffix.lower() == ".pmtiles"


@lru_cache(maxsize=4)
def _format_of(path: Path) -> str:
    if _is_pmtiles(path):
        return _PMTILES_FORMATS.get(_pmtiles(path).header()["tile_type"], "png")
    with closing(_mbtiles(path)) as db:
        row = db.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
    return row[0] if row and row[0] in CONTENT_TYPES else "png"


def tile_format() -> str:
    """The image format of the configured file's tiles (``png``, ``jpg`` or ``webp``)."""
    return _format_of(_path())


def read_tile(z: int, x: int, y: int) -> bytes | None:
    """The tile at XYZ ``z/x/y`` of the configured file, or ``None`` (outside the world at
    that zoom, or not in the file)."""
    if not 0 <= z <= 30 or not (0 <= x < 2**z and 0 <= y < 2**z):
        return None
    path = _path()
    if _is_pmtiles(path):
        return _pmtiles(path).get(z, x, y)
    with closing(_mbtiles(path)) as db:
        row = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y),
        ).fetchone()
    return row[0] if row else None
