"""A real outage for browser tests (DESIGN §8 "Field work"): gunicorn serving this checkout
on the test database, which ``server.stop()`` takes down for real (connections refused, not
the browser's offline flag) and ``server.start()`` brings back; and the phone's outbox as the
tests read it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    """A free port, or ``GRIDGOV_TEST_SERVER_PORT`` (a shared machine's allotted range)."""
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the last test's, in TIME_WAIT
        s.bind(("127.0.0.1", int(os.environ.get("GRIDGOV_TEST_SERVER_PORT", 0))))
        return s.getsockname()[1]


def _database_url() -> str:
    """The test database (where the demo fixtures committed), as the server's DATABASE_URL."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    return (
        f"postgres://{config['USER']}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}"
        f"/{config['NAME']}"
    )


class Server:
    """gunicorn serving this checkout on a fixed port, which ``stop`` takes down for real
    (connections refused, not a browser's offline flag) and ``start`` brings back."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "CELERY_BROKER_URL": "memory://",
            "CELERY_RESULT_BACKEND": "cache+memory://",
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "gridgov.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "2"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 90  # a loaded machine starts Django slowly
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # it answers (503: the broker is not a real one here)
            except OSError:
                time.sleep(0.2)
        self.process.terminate()
        self.process.wait(timeout=30)
        pytest.fail("gunicorn did not answer within 90 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{self.url}/healthz", timeout=2)


@pytest.fixture
def server(demo_site, tmp_path):
    server = Server(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def outbox_count(page) -> int:
    """Reports waiting in the phone's IndexedDB."""
    return page.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("gridgov-outbox", 1);
          open.onsuccess = () => {
            const count = open.result.transaction("items").objectStore("items").count();
            count.onsuccess = () => resolve(count.result);
          };
        })"""
    )


def wait_until(page, script: str, timeout: float = 45) -> None:
    """Poll ``script`` (a JS function) until it is true; Playwright's wait_for_function
    compiles its predicate with eval, which the Content-Security-Policy refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script}"
        page.wait_for_timeout(200)
