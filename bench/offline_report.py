"""The field worker's report page on a cheap phone with a weak signal (issue 13, item 1):

- first load of ``/report/`` ≤ 150 KB gzip: the page, its scripts and styles, the worker's
  cells, and what the service worker fetches when it installs (counted from the files, as
  ``bench/public_pages.py`` counts, and measured over the wire);
- a repeat visit ≤ 20 KB over the network (the service worker answers the rest);
- time from tapping "send" to the 201 with a 400 KB photo under emulated 3G (Chromium's
  ``Network.emulateNetworkConditions``: 400 kbit/s each way, 400 ms round trip), against the
  floor of that link for the same bytes, measured in the same run.

    python bench/offline_report.py

Builds its own SQLite database (migrate and the small demo, about 40 s) in a temporary folder
and serves it with gunicorn, gzip on (``bench/gzip_settings.py``); Chromium at
``/usr/bin/chromium``. Never touches another database.
"""

from __future__ import annotations

import io
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _setup import ROOT, django_setup
from _stats import Load, line

TMP = Path(tempfile.mkdtemp(prefix="gridgov-offline-bench-"))
os.environ.update(
    DATABASE_URL=f"sqlite:///{TMP / 'bench.sqlite3'}",
    MEDIA_ROOT=str(TMP / "media"),
    CELERY_BROKER_URL="memory://",
    CELERY_RESULT_BACKEND="cache+memory://",
    ALLOWED_HOSTS="127.0.0.1,testserver",
)
django_setup()

from _weight import page_weight  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from shapely.geometry import shape  # noqa: E402

from grids.models import GridCell  # noqa: E402

FIRST_GOAL_KB, REPEAT_GOAL_KB = 150, 20
SENDS = 5
KBIT = 400
RTT_MS = 400
PHOTO_BYTES = 400_000
WORKER, PASSWORD, CELL = "demo_worker", "gridgov-demo", "110105001001001"
CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")


def photo_of_about(size: int) -> bytes:
    """A camera-like JPEG of at most ``size`` bytes, as large as it can be, that the page
    does not shrink (under 1600 px and 1.5 MB)."""
    rng = random.Random(13)
    noise = Image.frombytes("RGB", (400, 300), rng.randbytes(400 * 300 * 3))
    image = noise.resize((1600, 1200), Image.Resampling.BICUBIC)
    best = b""
    for quality in range(40, 96, 2):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() > size:
            break
        best = out.getvalue()
    return best


def counted_weights() -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username=WORKER))
    raw, gz = page_weight(client, "/report/", ["/api/v1/cells/"])
    # What the service worker fetches when it installs, beyond the page's own files.
    extra = ["/sw.js", "/manifest.webmanifest", "/", "/api/v1/categories/"]
    _raw, with_sw = page_weight(client, "/report/", ["/api/v1/cells/", *extra])
    print(
        f"/report/ first load (counted): page + assets + cells {gz / 1024:6.1f} KB gzip "
        f"({raw / 1024:.1f} KB raw); with the service worker's install {with_sw / 1024:6.1f} KB"
        f" gzip; goal ≤ {FIRST_GOAL_KB} KB, ratio {with_sw / 1024 / FIRST_GOAL_KB:.2f}"
    )


class Server:
    def __init__(self) -> None:
        # GRIDGOV_BENCH_PORT pins the port (a shared machine's allotted range); else a free one.
        with socket.socket() as s:
            s.bind(("127.0.0.1", int(os.environ.get("GRIDGOV_BENCH_PORT", 0))))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = TMP / "access.log"

    def __enter__(self) -> Server:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.gzip_settings", "DEBUG": "false"}
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "gridgov.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--access-logfile",
                str(self.log),
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(B)s",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def mark(self) -> int:
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0

    def bytes_since(self, mark: int) -> tuple[int, list[str]]:
        time.sleep(1)  # gunicorn writes its access log after the response
        lines = self.log.read_text().splitlines()[mark:]
        sizes = [int(line.rsplit(" ", 1)[1]) for line in lines if line.rsplit(" ", 1)[1].isdigit()]
        return sum(sizes), lines


def measured(server: Server, photo: bytes, point: tuple[float, float]) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
        context.grant_permissions(["geolocation"])
        context.set_geolocation({"longitude": point[0], "latitude": point[1]})
        page = context.new_page()
        mark = server.mark()
        page.goto(f"{server.url}/accounts/login/?next=/report/")
        page.fill("[name=username]", WORKER)
        page.fill("[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.wait_for_load_state("networkidle")
        for _ in range(300):
            if page.evaluate("() => !!navigator.serviceWorker.controller"):
                break
            page.wait_for_timeout(200)
        else:
            raise SystemExit("the service worker did not take control within 60 s")
        page.wait_for_load_state("networkidle")
        first, _ = server.bytes_since(mark)
        print(
            f"sign-in page + /report/ first load + the service worker's install, over the wire "
            f"(gzip): {first / 1024:6.1f} KB; goal ≤ {FIRST_GOAL_KB} KB, "
            f"ratio {first / 1024 / FIRST_GOAL_KB:.2f}"
        )

        mark = server.mark()
        page.goto(f"{server.url}/report/")
        page.wait_for_load_state("networkidle")
        repeat, lines = server.bytes_since(mark)
        print(
            f"/report/ repeat visit over the network: {repeat / 1024:6.1f} KB in {len(lines)} "
            f"responses ({', '.join(line.split(' ')[1] for line in lines)}); goal ≤ "
            f"{REPEAT_GOAL_KB} KB, ratio {repeat / 1024 / REPEAT_GOAL_KB:.2f}"
        )

        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        bytes_per_s = KBIT * 1000 / 8
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": RTT_MS,
                "downloadThroughput": bytes_per_s,
                "uploadThroughput": bytes_per_s,
            },
        )
        times, sizes = [], []
        for n in range(SENDS):
            page.goto(f"{server.url}/report/")
            page.locator("#gps-status:not(.error)").wait_for()
            while not page.evaluate("() => !!document.querySelector('[name=lon]').value"):
                page.wait_for_timeout(100)
            page.locator("#favourites .chip").first.click()
            page.fill("[name=description]", f"路灯不亮 {n}")
            page.set_input_files(
                "input[name=photos]",
                files=[{"name": "lamp.jpg", "mimeType": "image/jpeg", "buffer": photo}],
            )
            while page.locator("#send-report").is_disabled():
                page.wait_for_timeout(50)
            with page.expect_response(
                lambda r: r.url.endswith("/api/v1/cases/") and r.request.method == "POST",
                timeout=120000,
            ) as answer:
                started = time.perf_counter()
                page.locator("#send-report").click()
            response = answer.value
            times.append(time.perf_counter() - started)
            assert response.status == 201, response.status
            sizes.append(int(response.request.header_value("content-length") or len(photo)))
            page.wait_for_url(f"{server.url}/cases/*/")
        body = statistics.median(sizes)
        floor = body / bytes_per_s + RTT_MS / 1000  # the body, and one round trip for the answer
        print(
            f"tap 'send' → 201 with a {len(photo) / 1000:.0f} KB photo, {KBIT} kbit/s, "
            f"{RTT_MS} ms RTT:"
        )
        print(line("  tap → 201", times, unit="s"))
        print(
            f"  the link's floor for the same {body / 1000:.0f} KB body {floor:5.2f} s, "
            f"ratio p50/floor {statistics.median(times) / floor:.2f}"
        )
        browser.close()


def main() -> None:
    load = Load()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", scale="small", no_progress=True, stdout=io.StringIO())
    print(f"demo database ready in {time.perf_counter() - started:.0f} s ({TMP})")
    counted_weights()
    cell = GridCell.objects.get(full_code=CELL)
    point = shape(cell.geometry).representative_point()
    with Server() as server:
        measured(server, photo_of_about(PHOTO_BYTES), (point.x, point.y))

    print(load)


if __name__ == "__main__":
    main()
