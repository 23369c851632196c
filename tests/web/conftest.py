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
from django.contrib.auth import get_user_model
from shapely.geometry import shape

from cases.demo import create_routing_rules
from cases.services import create_case
from grids import demo
from grids.models import GridCell

from .outage import server  # noqa: F401  (a fixture: a real outage of the web server)

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


def report_case(points: dict, cell: str, username: str):
    """A case reported by ``username`` at the point of ``cell`` (through the intake service)."""
    lon, lat = points[cell]
    return create_case(
        by=get_user_model().objects.get(username=username),
        title="路灯不亮",
        description="小区南门路灯不亮",
        category_code="C0101",
        lon=lon,
        lat=lat,
    )


WORKER_CELL, WORKER2_CELL, OTHER_STREET_CELL = (
    "110105001001001",
    "110105001001002",
    "110105002001001",
)


# The contexts the current test opened and what their pages reported (``no_browser_errors``).
_contexts: list = []
_browser_problems: list[str] = []
# Files a page loads by itself: one of them failing is a broken page. A document, fetch or
# htmx request answering 4xx is often the point of a test (a 404 out of scope, a 409 refusal);
# tests assert those statuses themselves.
ASSET_TYPES = {"stylesheet", "script", "image", "font", "media"}
# Chromium logs a violation as a console error too; this names the directive and the source.
CSP_WATCH_SCRIPT = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} `
  + `at ${e.sourceFile || e.documentURI}:${e.lineNumber}`));
"""


@pytest.fixture(autouse=True)
def no_browser_errors():
    """Every browser test ends with no console error, uncaught exception, Content-Security-
    Policy violation or failed page asset on any page it opened (``new_page`` watches).
    Yields the list of problems so far: a test that provokes one on purpose clears it."""
    _browser_problems.clear()
    yield _browser_problems
    while _contexts:  # closing delivers the events still on their way
        _contexts.pop().close()
    problems = list(_browser_problems)
    _browser_problems.clear()
    assert not problems, "the browser reported:\n" + "\n".join(problems)


def _console(label: str, message) -> None:
    print(f"[{label} console] {message.type}: {message.text}")
    # "Failed to load resource" repeats a response's status: judged by _response instead.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        _browser_problems.append(f"[{label}] console error: {message.text} ({message.location})")


def _response(label: str, response) -> None:
    if response.status < 400:
        return
    print(f"[{label}] {response.status} {response.url}")
    if response.request.resource_type in ASSET_TYPES:
        _browser_problems.append(f"[{label}] {response.status} for a page asset: {response.url}")


def new_page(browser, label: str, *, viewport=DESK, gps=None, **context_args):
    """A page in a new browser context (locale zh-CN) whose console errors, uncaught
    exceptions, CSP violations and failed assets fail the test (``no_browser_errors``)."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", **context_args)
    _contexts.append(context)
    context.add_init_script(CSP_WATCH_SCRIPT)
    if gps:
        context.add_init_script(GPS_SCRIPT % gps)
    page = context.new_page()
    page.on("console", lambda m: _console(label, m))
    page.on("pageerror", lambda e: _browser_problems.append(f"[{label}] uncaught: {e}"))
    page.on("requestfailed", lambda r: print(f"[{label}] failed: {r.url} {r.failure}"))
    page.on("response", lambda r: _response(label, r))
    return page


def sign_in(browser, live_server, username: str, *, viewport=DESK, **context_args):
    """A new browser context signed in as ``username`` (demo password); returns the page."""
    page = new_page(browser, username, viewport=viewport, **context_args)
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
