"""A Celery worker outlives a Redis outage with tasks in hand (issue 18, item 3).

The drills saw the worker exit (``AttributeError: 'NoneType' object has no attribute
'hostname'`` in kombu's Redis transport) when Redis stopped while ``acks_late`` tasks were
running, and nothing ran until someone restarted it. Here a real worker (prefork, as
production runs it, under ``bin/respawn`` as ``make run`` runs it) takes slow tasks from a
private Redis (AOF on, never the shared one), Redis is stopped while two are in hand and
started again on the same port: every task must run (those in hand too), and the worker
must still be there, not started again by respawn.

With celery 5.7.0, kombu 5.7.0 and redis-py 8.1.0 the worker does not exit: it logs the lost
connection and retries for ever. What it did instead, with
``worker_cancel_long_running_tasks_on_connection_loss`` on, was lose the tasks in hand: the
cancellation first stores a "retry" state in the result backend (the same Redis, down), that
fails, the task is then taken as revoked and its message acknowledged once Redis is back, and
it never runs. With the setting off (gridgov/settings.py) a task in hand runs to its end, its
acknowledgement fails, and Redis hands it out again after the visibility timeout (tasks are
idempotent).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery

ROOT = Path(__file__).resolve().parents[2]
TASKS = 8

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """redis-server on its own port and folder; stopped and started again on the same port,
    its append-only file keeps the queue (as production's does)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port, self.process = folder, _free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", str(self.folder), "--appendonly", "yes", "--save", ""),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(lambda: _listening(self.port), "redis-server to listen")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _wait_for(condition, what: str, polls: int = 1200) -> None:
    """Poll ``condition`` (every 0.1 s; give up after ``polls``): a hang detector, not a
    timing assertion."""
    for _ in range(polls):
        if condition():
            return
        subprocess.run(["sleep", "0.1"], check=True)
    raise AssertionError(f"gave up waiting for {what}")


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_the_worker_survives_redis_stopping_with_tasks_in_hand_and_runs_them_all(
    tmp_path, monkeypatch
):
    redis = PrivateRedis(tmp_path)
    redis.start()
    # Celery reads CELERY_BROKER_URL from the environment before the broker it is given
    # (celery.app.utils.Settings.broker_url): where the suite runs on a shared Redis (CI),
    # the sender below would publish there and the private worker would wait for ever.
    monkeypatch.setenv("CELERY_BROKER_URL", f"{redis.url}/0")
    marks = tmp_path / "marks"
    marks.mkdir()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gridgov.settings",
        "CELERY_BROKER_URL": f"{redis.url}/0",
        "CELERY_RESULT_BACKEND": f"{redis.url}/1",
        "CELERY_TASK_DEFAULT_QUEUE": "outage",
        # The tasks in hand, unacknowledged, come back once their visibility timeout passes
        # (5 minutes in production, where beat's sweeps cover the wait).
        "CELERY_VISIBILITY_TIMEOUT": "15",
    }
    worker = subprocess.Popen(
        [
            *(str(ROOT / "bin" / "respawn"), sys.executable, "-m", "celery", "-A", "gridgov"),
            *("worker", "-I", "tests.gridgov.outage_tasks", "-Q", "outage"),
            *("--concurrency", "2", "--loglevel", "INFO"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    sender = Celery(broker=f"{redis.url}/0")
    try:
        for n in range(TASKS):
            sender.send_task(
                "tests.outage.work", args=[n, str(marks), 3.0], queue="outage", ignore_result=True
            )
        sender.close()
        _wait_for(lambda: len(_lines(marks / "started")) >= 2, "two tasks in hand")
        in_hand = set(_lines(marks / "started"))
        redis.stop()  # with two acks_late tasks running, and the rest queued
        _wait_for(lambda: "Connection to broker lost" in log.read_text(), "the worker to notice")
        # The worker keeps trying to reconnect: let it fail a few times.
        _wait_for(lambda: log.read_text().count("Cannot connect") >= 3, "reconnect attempts")
        redis.start()
        _wait_for(
            lambda: set(_lines(marks / "done")) >= {str(n) for n in range(TASKS)},
            "every task to run after Redis came back",
        )
        output = log.read_text()
        respawned = output.count("respawn:")
        print(f"worker started again by respawn: {respawned}")
        assert worker.poll() is None, "bin/respawn itself exited"
        assert in_hand <= set(_lines(marks / "done")), "a task in hand was lost"
        assert "'NoneType' object has no attribute 'hostname'" not in output
        assert respawned == 0, "the worker exited on the outage (respawn had to start it again)"
    finally:
        print(log.read_text()[-8000:])  # the only clue when it fails
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        if redis.process.poll() is None:
            redis.stop()
