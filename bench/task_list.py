"""The field worker's task list (cases.today.task_list) over the district demo (2,000,000
cases), against the home page's former three reads (cases to verify, the worker's latest
reports, households due a visit) measured in the same run: server time per worker and
queries, for a sample of grid workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench python bench/task_list.py

Read-only: selectors only (no page, so no write such as a session or a notice's read mark).
"""

from __future__ import annotations

import random
import statistics
import time

from _setup import district_or_skip, django_setup
from _stats import Load, line, percentile

django_setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from cases.selectors import to_verify, worker_reports  # noqa: E402
from cases.today import task_list  # noqa: E402
from grids.models import Assignment, Role  # noqa: E402
from residents.selectors import households_due_visit  # noqa: E402

WORKERS = 40
ROUNDS = 3


def former_home(user) -> int:
    """What the home page read before the task list (cases.views.home before this branch)."""
    return (
        len(list(to_verify(user)[:20]))
        + len(worker_reports(user, limit=20))
        + len(households_due_visit(user))
    )


def today(user) -> int:
    return len(task_list(user))


def p95(values: list[float]) -> float:
    return percentile(values, 95)


def measure(read, users) -> tuple[list[float], list[int], list[int]]:
    times, queries, rows = [], [], []
    for user in users:
        read(user)  # warm
        for _ in range(ROUNDS):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                n = read(user)
                times.append((time.perf_counter() - started) * 1000)
            queries.append(len(ctx))
            rows.append(n)
    return times, queries, rows


def main() -> None:
    total = district_or_skip()
    load = Load()
    ids = list(
        Assignment.objects.filter(role=Role.GRID_WORKER, cell__isnull=False)
        .values_list("user_id", flat=True)
        .distinct()
    )
    rng = random.Random(13)
    users = list(get_user_model().objects.filter(pk__in=rng.sample(ids, min(WORKERS, len(ids)))))
    print(f"{total:,} cases; {len(users)} grid workers × {ROUNDS} rounds")
    results = {}
    for label, read in (("former home reads", former_home), ("task list", today)):
        times, queries, rows = measure(read, users)
        results[label] = times
        print(
            f"{line(label, [ms / 1000 for ms in times], width=18)}  queries "
            f"{min(queries)}–{max(queries)}  rows median {statistics.median(rows):.0f}"
        )
    base, new = results["former home reads"], results["task list"]
    print(
        f"ratio task list / former: p50 {statistics.median(new) / statistics.median(base):.2f}"
        f"  p95 {p95(new) / p95(base):.2f}"
    )
    print(load)


if __name__ == "__main__":
    main()
