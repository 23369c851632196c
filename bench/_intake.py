"""What the intake benches (``intake_http.py``, ``resident_intake.py``) share: a private
PostgreSQL database migrated and seeded with the small demo, a broker queue of the bench's
own (no worker consumes during a bench), the timed loop of posts, the CPU a process used,
the after-intake sweep's CPU per case, and the cleanup.

``prepare`` runs before Django is set up (it sets the environment the settings read).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _setup import ROOT, django_setup


def prepare(queue: str) -> None:
    """Check for a PostgreSQL database of the bench's own, send tasks to ``queue``, migrate,
    seed the small demo if empty, set Django up."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it gets bench rows).")
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    # The after-intake sweeps the intakes queue go to a queue of their own, purged at the end,
    # rather than piling up where a real worker would run them.
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, check=True)
    subprocess.run(
        [*manage, "seed_demo", "--if-empty", "--no-progress"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    django_setup()


def timed(post: Callable[[int], None], count: int, start: int = 0) -> list[float]:
    """Call ``post(n)`` for ``count`` successive n from ``start``: each call's seconds."""
    times, clock = [], time.perf_counter
    for n in range(start, start + count):
        started = clock()
        post(n)
        times.append(clock() - started)
    return times


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time used so far by each of ``pids`` that still runs."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def follow_up_cpu() -> tuple[int, float]:
    """Run the after-intake sweep over every marked case in this process: (cases done, CPU
    seconds per case of this process and of its PostgreSQL backend)."""
    from django.db import connection

    from workflows.intake_follow_up import follow_up_pending

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    before, own = cpu_seconds([backend]), time.process_time()
    sweep = follow_up_pending(seconds=3600)
    used = time.process_time() - own + cpu_seconds([backend])[backend] - before[backend]
    return sweep.done, used / max(sweep.done, 1)


def cleanup(since, queue: str) -> None:
    """Delete the cases filed since ``since`` and purge the bench's queue."""
    from kombu import Queue

    from cases.demo import delete_cases
    from cases.models import Case
    from gridgov.celery import app

    delete_cases(Case.objects.filter(created_at__gte=since))
    with app.connection_for_write() as conn:
        Queue(queue, channel=conn.default_channel).purge()
