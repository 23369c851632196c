"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server,
over the ``small`` demo territory and its demo logins (no demo cases: each test makes its own).

Screenshots of the main pages are written to ``var/screenshots/`` for people to look at.
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from shapely.geometry import shape

from cases.demo import create_routing_rules
from grids import demo
from grids.models import GridCell

# pytest-django's live server runs in a thread beside Playwright's sync API, which Django
# would otherwise take for an async context (STACK.md).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 360, "height": 780}
DESK = {"width": 1440, "height": 900}


def pytest_collection_modifyitems(items) -> None:
    """Without Chromium (a laptop that never installed it) the browser tests are skipped,
    with the reason shown; CI installs it (.ci/run)."""
    if shutil.which(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, never a browser Playwright downloads."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture
def demo_site(transactional_db, live_server):
    """The small demo territory, departments, people and routing rules, committed so the
    live server sees them. Returns the cells' representative points by cell code."""
    rng = random.Random(20261126)
    territory = demo.create_territory(demo.SCALES["small"], rng)
    departments = demo.create_departments(territory.district)
    demo.create_people(territory, departments, rng)
    create_routing_rules(territory.district)
    points = {}
    for cell in GridCell.objects.all():
        point = shape(cell.geometry).representative_point()
        points[cell.full_code] = (point.x, point.y)
    return points


WORKER_CELL, WORKER2_CELL, OTHER_STREET_CELL = (
    "110105001001001",
    "110105001001002",
    "110105002001001",
)


def sign_in(browser, live_server, username: str, *, viewport=DESK, **context_args):
    """A new browser context signed in as ``username`` (demo password); returns the page."""
    gps = context_args.pop("gps", None)
    context = browser.new_context(viewport=viewport, locale="zh-CN", **context_args)
    if gps:
        context.add_init_script(GPS_SCRIPT % gps)
    page = context.new_page()
    page.on("console", lambda m: print(f"[{username} console] {m.type}: {m.text}"))
    page.on("requestfailed", lambda r: print(f"[{username}] failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and print(f"[{username}] {r.status} {r.url}"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("[name=username]", username)
    page.fill("[name=password]", demo.DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def phone_gps(lon: float, lat: float) -> dict:
    """Context arguments of a phone whose GPS has a fix at (lon, lat).

    The phone's sensor is the one thing here we cannot run. Playwright's own geolocation
    emulation left requests made during page load unanswered in about half the runs on
    this machine's headless Chromium, so the fix is served by a stand-in for the sensor
    behind the standard ``navigator.geolocation`` API; everything after it is real.
    """
    return {"gps": (lon, lat)}


GPS_SCRIPT = """
(() => {
  const position = () => ({ coords: { longitude: %f, latitude: %f, accuracy: 8,
    altitude: null, altitudeAccuracy: null, heading: null, speed: null },
    timestamp: Date.now() });
  let next = 1;
  const geolocation = {
    getCurrentPosition(ok) { setTimeout(() => ok(position()), 50); },
    watchPosition(ok) { setTimeout(() => ok(position()), 50); return next++; },
    clearWatch() {},
  };
  Object.defineProperty(Navigator.prototype, "geolocation", { get: () => geolocation });
})();
"""


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def gradient_png(width: int, height: int) -> bytes:
    """A real PNG (a colour gradient), as a phone camera's photo stands in for."""
    base = bytearray(3 * width)
    base[0::3] = bytes(x * 255 // width for x in range(width))
    base[2::3] = bytes([120]) * width
    rows = bytearray()
    for y in range(height):
        row = bytearray(base)
        row[1::3] = bytes([y * 255 // height]) * width
        rows += b"\x00" + row

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
        + chunk(b"IEND", b"")
    )
