"""The benches' gunicorn: started on the configured database with DEBUG off, and people
signed in for an API token."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from _setup import ROOT


@contextmanager
def gunicorn(port: int, workers: int, **env: str) -> Iterator[subprocess.Popen]:
    """gunicorn serving ``gridgov.wsgi`` on ``port`` until the block ends; ``env`` adds to
    the environment (``ROOT_URLCONF=…``)."""
    command = ["gunicorn", "gridgov.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [sys.executable, "-m", *command, "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "false", **env},
    )
    try:
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def sign_in(port: int, username: str) -> str:
    """An API token for ``username`` (a demo login), waiting for the server to come up."""
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            body = json.dumps({"username": username, "password": "gridgov-demo"})
            conn.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            if response.status == 200:
                return json.loads(response.read())["token"]
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("gunicorn did not come up")


def at_once(work: Callable, args: Iterable) -> None:
    """``work(arg)`` for every arg, each in its own thread, all started before any is
    awaited."""
    threads = [threading.Thread(target=work, args=(arg,)) for arg in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
