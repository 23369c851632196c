"""A task makes a round trip through a real Celery worker process on the configured broker
(kombu's filesystem transport on a laptop, Redis in CI)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from workflows.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_a_real_worker_consumes_a_task_and_returns_its_result():
    # A private queue so a `make run` worker on the same broker cannot take the message.
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "gridgov",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    token = uuid.uuid4().hex
    try:
        result = ping.apply_async(args=[token], queue=queue)
        answer = result.get(timeout=60)
    except Exception as exc:  # show what the worker said: it is the only clue in CI
        worker.kill()
        output = worker.communicate(timeout=20)[0]
        raise AssertionError(f"no answer from the worker ({exc!r}); it printed:\n{output}") from exc
    try:
        assert answer == f"pong:{token}"
        assert worker.poll() is None, "the worker process should still be running"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
