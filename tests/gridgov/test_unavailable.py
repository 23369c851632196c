"""A dependency that is down or hung gives answers a client can act on, never a hang or a 500.

Each case runs GridGov in a child process pointed at a real failing service: a database port
nothing listens on, and a private Redis server stopped with SIGSTOP (it accepts connections
and never answers, as a hung server does).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NO_DATABASE = "postgres://postgres@127.0.0.1:1/gridgov"


def _child(code: str, **env_overrides: str) -> dict:
    """Run ``code`` after django.setup() in a child; it prints one JSON line, returned here.
    The timeout is the hang detector: before, a hung broker held a request for ever."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings", **env_overrides}
    out = subprocess.run(
        [sys.executable, "-c", "import django, json; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


GET = """
from django.test import Client
c = Client(raise_request_exception=False)
c.cookies["sessionid"] = "s" * 32  # a signed-in person's browser: the session is in the database
r = c.get(
    {path!r}, HTTP_ACCEPT={accept!r}, HTTP_AUTHORIZATION="Token " + "a" * 64,
    HTTP_ACCEPT_LANGUAGE="en",
)
print(json.dumps({{"status": r.status_code, "type": r["Content-Type"],
    "retry_after": r.get("Retry-After"), "body": r.content.decode()[:2000]}}))
"""


@pytest.mark.parametrize("debug", ["true", "false"])
def test_an_api_client_gets_json_503_with_retry_after_when_the_database_is_down(debug):
    result = _child(
        GET.format(path="/api/v1/cases/", accept="application/json"),
        DATABASE_URL=NO_DATABASE,
        DEBUG=debug,
    )
    assert result["status"] == 503, result
    assert result["type"] == "application/json" and result["retry_after"] == "30"
    assert "unavailable" in json.loads(result["body"])["detail"]


def test_a_person_gets_the_branded_503_page_when_the_database_is_down():
    result = _child(
        GET.format(path="/queue/", accept="text/html"), DATABASE_URL=NO_DATABASE, DEBUG="false"
    )
    assert result["status"] == 503 and result["retry_after"] == "30"
    assert 'data-status="503"' in result["body"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hung_redis(tmp_path):
    """A private Redis server, started and then frozen (SIGSTOP), never the shared one."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        process.send_signal(signal.SIGSTOP)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


def test_healthz_answers_when_the_broker_hangs(hung_redis):
    result = _child(
        """
from django.test import Client
r = Client().get("/healthz")
print(json.dumps({"status": r.status_code, "body": json.loads(r.content)}))
""",
        CELERY_BROKER_URL=hung_redis,
    )
    assert result["status"] == 503
    assert result["body"]["broker"].startswith("down") and result["body"]["database"] == "ok"


def test_a_send_after_commit_to_a_hung_broker_never_holds_the_request(hung_redis):
    """What a request does after commit (``request_effects_delivery``) with the broker hung:
    before, no socket timeout, so every web worker blocked on it; now the request goes on at
    once, the send fails on its own thread within the socket timeouts and is logged, and
    beat's sweep delivers the effects later. The child prints both durations (not asserted:
    the 60 s child timeout is the hang detector)."""
    result = _child(
        """
import logging, time
from workflows.tasks import request_effects_delivery
failures = []
class Catch(logging.Handler):
    def emit(self, record):
        failures.append(record.getMessage())
logging.getLogger("workflows.tasks").addHandler(Catch())
started = time.monotonic()
request_effects_delivery()
returned = time.monotonic() - started
request_effects_delivery.join()
print(json.dumps({"returned_after": round(returned, 3), "failures": failures,
                  "send_failed_after": round(time.monotonic() - started, 2)}))
""",
        CELERY_BROKER_URL=hung_redis,
        CELERY_RESULT_BACKEND=hung_redis,
    )
    print(result)
    assert result["failures"] == [
        "could not queue workflows.deliver_effects; beat's sweep will do it"
    ]
