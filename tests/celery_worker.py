"""A real Celery worker process for integration tests, on the configured broker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Worker:
    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.output = ""

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


@contextmanager
def celery_worker(queue: str, **env: str) -> Iterator[Worker]:
    """Run ``celery worker`` (solo pool) on ``queue`` for the block; afterwards ``.output``
    holds what it printed — the only clue when a test fails in CI."""
    process = subprocess.Popen(
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
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gridgov.settings", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = Worker(process)
    try:
        yield worker
    finally:
        process.terminate()
        try:
            worker.output = process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            worker.output = process.communicate()[0]
