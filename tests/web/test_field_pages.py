"""Field work on a cheap phone (360 px), in real Chromium: the day's task list over a base map
served from a local MBTiles file, a visit with a quick phrase, the GPS fix and an undo, and an
inbox that fits the screen, groups by case and clears with "mark all read"."""

from __future__ import annotations

import math
import sqlite3
from contextlib import closing

import pytest
from django.contrib.auth import get_user_model
from PIL import Image
from playwright.sync_api import expect

from grids.models import District, GridCell
from grids.tiles import _format_of
from residents.models import Tag, Visit
from workflows import notifications
from workflows.models import NotificationKind

from ..cases.images import encoded
from ..factories import ResidentFactory
from .conftest import PHONE, WORKER_CELL, phone_gps, report_case, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TILE = encoded(Image.new("RGB", (256, 256), (236, 232, 220)), "PNG")


def _tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return (lon + 180) / 360 * n, y


def district_mbtiles(path, bounds, zooms=range(12, 19), margin=4) -> None:
    """An MBTiles file with a plain tile everywhere the pages may look: the district (and the
    maps' first view, Beijing's centre) with a margin of tiles."""
    with closing(sqlite3.connect(path)) as db:
        db.executescript(
            "CREATE TABLE metadata (name text, value text);"
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
            " tile_data blob);"
            "INSERT INTO metadata VALUES ('format', 'png');"
        )
        rows = set()
        for z in zooms:
            for west, south, east, north in (bounds, (116.39, 39.89, 116.41, 39.91)):
                x0, y0 = _tile_xy(west, north, z)
                x1, y1 = _tile_xy(east, south, z)
                for x in range(int(x0) - margin, int(x1) + margin + 1):
                    for y in range(int(y0) - margin, int(y1) + margin + 1):
                        rows.add((z, x, 2**z - 1 - y))
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(*r, TILE) for r in rows])
        db.commit()


@pytest.fixture
def local_tiles(demo_site, settings, tmp_path):
    district = District.objects.get()
    path = tmp_path / "district.mbtiles"
    district_mbtiles(path, (district.min_lon, district.min_lat, district.max_lon, district.max_lat))
    settings.MAP_TILES_FILE = str(path)
    settings.MAP_TILE_ATTRIBUTION = "测试底图"
    _format_of.cache_clear()
    return demo_site


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_day_on_a_phone_with_a_visit_and_its_undo(browser, live_server, local_tiles):
    points = local_tiles
    cell = next(c for c in GridCell.objects.all() if c.full_code == WORKER_CELL)
    household = ResidentFactory(household__cell=cell).household
    household.residents.first().tags.add(Tag.objects.get(code="elderly_alone"))
    soon = report_case(points, WORKER_CELL, "demo_volunteer")  # in demo_worker's cell

    lon, lat = points[WORKER_CELL]
    page = sign_in(browser, live_server, "demo_worker", viewport=PHONE, **phone_gps(lon, lat))
    tasks = page.get_by_test_id("task")
    expect(tasks.filter(has_text=soon.title)).to_have_count(1)
    expect(page.locator(f"#household-{household.pk}")).to_be_visible()
    # The base map's tiles come from GridGov itself; cells wear their names and codes.
    expect(page.locator("#cell-map img.leaflet-tile-loaded").first).to_be_attached()
    expect(page.locator("#cell-map .leaflet-control-attribution")).to_contain_text("测试底图")
    expect(page.locator("#cell-map .cell-label").first).to_contain_text(WORKER_CELL)
    expect(page.locator("#cell-map .case-marker")).to_have_count(1)
    no_sideways_scroll(page)
    screenshot(page, "worker-task-list-phone")

    row = page.locator(f"#household-{household.pk}")
    expect(row.locator(".gps-state")).to_contain_text("±8 m")
    row.locator(".quick-phrase").first.click()
    row.get_by_test_id("visited").click()
    done = page.get_by_test_id("visit-done")
    expect(done).to_contain_text("GPS ±8 m")
    visit = Visit.objects.get()
    assert visit.note and visit.fix_cell == cell and visit.accuracy_m == 8
    screenshot(page, "worker-visit-done-phone")
    done.get_by_test_id("undo").click()
    expect(page.locator(f"#household-{household.pk} .visit-form")).to_be_visible()
    assert not Visit.objects.exists()
    no_sideways_scroll(page)


def test_the_inbox_fits_a_phone_groups_by_case_and_clears(browser, live_server, demo_site):
    worker = get_user_model().objects.get(username="demo_worker")
    case = report_case(demo_site, WORKER_CELL, "demo_worker")
    other = report_case(demo_site, WORKER_CELL, "demo_worker")
    long_message = "案件" + "很长的说明文字" * 30
    for kind, key in ((NotificationKind.ACTION_NEEDED, "a"), (NotificationKind.REMINDER, "r")):
        notifications.notify(users=[worker], case=case, kind=kind, message=long_message, key=key)
    notifications.notify(
        users=[worker], case=other, kind=NotificationKind.OVERDUE, message="超期", key="o"
    )
    page = sign_in(browser, live_server, "demo_worker", viewport=PHONE)
    expect(page.get_by_test_id("unread")).to_have_text("2")  # one open notice per case
    page.goto(f"{live_server.url}/inbox/")
    expect(page.get_by_test_id("thread")).to_have_count(2)
    no_sideways_scroll(page)
    screenshot(page, "inbox-phone")
    page.get_by_test_id("read-all").click()
    expect(page.get_by_test_id("unread")).to_have_count(0)
    page.get_by_role("link", name=case.number).click()
    page.wait_for_url(f"**/cases/{case.pk}/")


def test_a_photo_keeps_where_and_when_it_was_taken(browser, live_server, demo_site):
    from cases.models import Attachment

    from .conftest import gradient_png

    lon, lat = demo_site[WORKER_CELL]
    page = sign_in(browser, live_server, "demo_worker", viewport=PHONE, **phone_gps(lon, lat))
    page.goto(f"{live_server.url}/report/")
    expect(page.locator("#gps-status")).to_contain_text("光华社区")
    page.locator("#favourites .chip").first.click()
    page.fill("[name=description]", "3号楼门前井盖松动。")
    page.set_input_files(
        "[name=photos]",
        files=[{"name": "IMG_0002.png", "mimeType": "image/png", "buffer": gradient_png(800, 600)}],
    )
    expect(page.locator("input.capture-field[name=photo_accuracy]")).to_have_value("8")
    page.click("#send-report")
    page.wait_for_url("**/cases/*/")
    photo = Attachment.objects.select_related("capture_cell").get()
    assert photo.capture_cell.full_code == WORKER_CELL and photo.capture_accuracy_m == 8
    assert abs(photo.clock_skew_s) < 60 and not photo.is_far
    strip = page.get_by_test_id("photo-strip")
    expect(strip).to_contain_text("±8 m")
    expect(strip).to_contain_text(WORKER_CELL)
    no_sideways_scroll(page)
    screenshot(page, "case-photo-strip-phone")
