"""A task for tests/gridgov/test_worker_outage.py, loaded by its worker (``celery worker -I``):
it marks that it started, works for a while (so it is in hand when Redis goes away) and
marks that it finished, in files the test reads. It touches no database."""

from __future__ import annotations

import time
from pathlib import Path

from celery import shared_task


@shared_task(name="tests.outage.work", acks_late=True)
def work(n: int, folder: str, seconds: float) -> None:
    folder_path = Path(folder)
    with (folder_path / "started").open("a") as started:
        started.write(f"{n}\n")
    time.sleep(seconds)
    with (folder_path / "done").open("a") as done:
        done.write(f"{n}\n")
