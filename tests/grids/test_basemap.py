"""The base map: tiles from a local MBTiles/PMTiles file served by GridGov (for networks with no
internet), a tile service's hosts allowed by the CSP, and a page that works and says how to add
a base map when none is configured."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest
from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from grids.tiles import _format_of, _pmtiles

from ..cases.images import encoded
from ..gridgov.test_csp import policy

pytestmark = pytest.mark.django_db

RED = encoded(Image.new("RGB", (4, 4), (200, 0, 0)), "PNG")
BLUE = encoded(Image.new("RGB", (4, 4), (0, 0, 200)), "PNG")


def make_mbtiles(path) -> None:
    """Zoom 1 has two tiles: XYZ (0, 0) is red, XYZ (1, 1) blue. MBTiles stores TMS rows, so
    XYZ row 0 is TMS row 1."""
    with closing(sqlite3.connect(path)) as db:
        db.executescript(
            "CREATE TABLE metadata (name text, value text);"
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
            " tile_data blob);"
            "INSERT INTO metadata VALUES ('format', 'png');"
        )
        db.executemany("INSERT INTO tiles VALUES (1, ?, ?, ?)", [(0, 1, RED), (1, 0, BLUE)])
        db.commit()


def make_pmtiles(path) -> None:
    with path.open("wb") as f:
        writer = Writer(f)
        writer.write_tile(zxy_to_tileid(1, 0, 0), RED)
        writer.write_tile(zxy_to_tileid(1, 1, 1), BLUE)
        header = {
            "tile_type": TileType.PNG,
            "tile_compression": Compression.NONE,
            "min_zoom": 1,
            "max_zoom": 1,
            "min_lon_e7": -1800000000,
            "min_lat_e7": -850000000,
            "max_lon_e7": 1800000000,
            "max_lat_e7": 850000000,
            "center_zoom": 1,
            "center_lon_e7": 0,
            "center_lat_e7": 0,
        }
        writer.finalize(header, {"name": "test"})


def config(response) -> dict:
    """The page's base map block, as basemap.js reads it."""
    page = response.content.decode()
    start = page.index('<script id="gridgov-basemap" type="application/json">')
    return json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])


@pytest.fixture(params=["mbtiles", "pmtiles"])
def tiles_file(request, settings, tmp_path):
    path = tmp_path / f"district.{request.param}"
    (make_mbtiles if request.param == "mbtiles" else make_pmtiles)(path)
    settings.MAP_TILES_FILE = str(path)
    _format_of.cache_clear()
    _pmtiles.cache_clear()
    return path


def test_local_tiles_are_served_in_xyz_order_with_cache_headers(client, tiles_file):
    red = client.get("/tiles/1/0/0.png")
    assert red.status_code == 200
    assert red["Content-Type"] == "image/png"
    assert red.content == RED
    assert "max-age=604800" in red["Cache-Control"] and "public" in red["Cache-Control"]
    assert client.get("/tiles/1/1/1.png").content == BLUE


@pytest.mark.parametrize(
    "url",
    ["/tiles/1/1/0.png", "/tiles/2/0/0.png", "/tiles/1/2/0.png", "/tiles/1/0/0.jpg"],
    ids=["missing", "other-zoom", "outside-the-world", "wrong-format"],
)
def test_a_tile_not_in_the_file_is_404(client, tiles_file, url):
    assert client.get(url).status_code == 404


def test_no_file_configured_no_tiles(client, settings):
    settings.MAP_TILES_FILE = ""
    assert client.get("/tiles/1/0/0.png").status_code == 404


def test_pages_point_leaflet_at_the_local_tiles(as_user, worker_a, tiles_file):
    assert config(as_user(worker_a).get("/"))["url"] == "/tiles/{z}/{x}/{y}.png"
    assert policy(as_user(worker_a).get("/"))["img-src"] == {"'self'", "data:", "blob:"}


TIANDITU = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"


def test_a_tile_service_hosts_join_the_policy(client, settings):
    settings.MAP_TILE_URL = TIANDITU
    settings.MAP_TILE_LABELS_URL = TIANDITU.replace("vec_w", "cva_w")
    settings.MAP_TILE_SUBDOMAINS = ["0", "1"]
    settings.MAP_TILE_ATTRIBUTION = "天地图"
    response = client.get("/public/")
    assert policy(response)["img-src"] == {
        "'self'",
        "data:",
        "blob:",
        "https://t0.tianditu.gov.cn",
        "https://t1.tianditu.gov.cn",
    }
    assert config(response)["attribution"] == "天地图"
    assert config(response)["subdomains"] == ["0", "1"]


def test_without_a_base_map_signed_in_users_are_told_how_to_add_one(
    as_user, worker_a, client, settings
):
    settings.MAP_TILE_URL = settings.MAP_TILES_FILE = ""
    assert "MAP_TILE_URL" in config(as_user(worker_a).get("/"))["hint"]
    client.logout()
    assert config(client.get("/public/")) == {"hint": ""}
