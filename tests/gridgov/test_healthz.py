"""/healthz answers JSON with database and broker status, 503 when either is down.

The "down" cases run GridGov in a child process whose DATABASE_URL or CELERY_BROKER_URL points
at a port nothing listens on: a real refused connection, not a mocked one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; django.setup();"
    "from django.test import Client; r = Client().get('/healthz');"
    "print(json.dumps({'status': r.status_code, 'body': json.loads(r.content)}))"
)


def _healthz_in_child(**env_overrides: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings", **env_overrides}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "outbox_oldest_seconds": 0,
        "broker": "ok",
    }


def test_healthz_is_503_when_the_database_is_down():
    result = _healthz_in_child(DATABASE_URL="postgres://postgres@127.0.0.1:1/gridgov")
    assert result["status"] == 503
    assert result["body"]["status"] == "unavailable"
    assert result["body"]["database"] != "ok"
    assert "OperationalError" in result["body"]["database"]


def test_healthz_is_503_when_the_broker_is_down():
    result = _healthz_in_child(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    assert result["status"] == 503
    assert result["body"]["broker"] != "ok"
    assert result["body"]["database"] == "ok"
