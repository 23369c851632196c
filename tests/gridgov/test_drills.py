"""The cheap fault drills in CI (bench/drills.py; `make drills` runs them all): 50 cases × 8
conflicting actions, and a Celery worker killed with -9 under load. Each runs on its own
PostgreSQL cluster and Redis, never the shared ones; the drill exits non-zero on any case,
event, notice, email or follow-up lost or done twice, or on a 5xx other than 503."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        or shutil.which("redis-server") is None,
        reason="the drills need PostgreSQL's server binaries and redis-server",
    ),
]


def test_conflicts_and_a_killed_worker_lose_and_repeat_nothing():
    result = subprocess.run(
        [sys.executable, "bench/drills.py", "conflicts", "worker_kill"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "2/2 drills passed" in result.stdout
