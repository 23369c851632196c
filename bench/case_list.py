"""GET /api/v1/cases/ with the district demo's 2,000,000 cases (goal: p95 ≤ 50 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench python bench/case_list.py

Needs `seed_demo --scale district` in that database. Measures server time in-process (Django's
test client: URL routing, auth, scope, query, serialisation — no network), for the people
who use the list: street staff (their street), a grid worker (their cell), a handler (their
department) and the district admin, over the first pages and common filters.
"""

from __future__ import annotations

import os
import time

from _setup import district_or_skip, django_setup
from _stats import Load, line, percentile

os.environ.setdefault("DEBUG", "false")  # time what production runs, not the debug toolbar path
django_setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from cases.selectors import cases_visible_to  # noqa: E402

QUERIES = [
    {},
    {"page": 2},
    {"page": 5},
    {"status": "handling"},
    {"overdue": "true"},
    {"status": "closed", "page": 3},
    {"category": "C0101"},
    {"page_size": 100},
]
USERS = ["demo_staff", "demo_worker", "demo_handler", "demo_admin"]
ROUNDS = 8


def main() -> None:
    total = district_or_skip()
    load = Load()
    timings: dict[str, list[float]] = {}
    for username in USERS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.get("/api/v1/cases/")  # warm caches and connections
        for _ in range(ROUNDS):
            for params in QUERIES:
                started = time.perf_counter()
                response = client.get("/api/v1/cases/", params)
                timings.setdefault(username, []).append(time.perf_counter() - started)
                assert response.status_code == 200, (username, params, response.status_code)
                reset_queries()
        reset_queries()
        with CaptureQueriesContext(connection) as q20:
            client.get("/api/v1/cases/", {"page_size": 20})
        reset_queries()
        with CaptureQueriesContext(connection) as q100:
            client.get("/api/v1/cases/", {"page_size": 100})
        count = cases_visible_to(User.objects.get(username=username)).count()
        print(
            f"{line(username, timings[username], width=13)}  {count:>9,} cases in scope"
            f"  queries: {len(q20)} at page size 20, {len(q100)} at 100"
        )
    every = [t for ts in timings.values() for t in ts]
    p95 = percentile(every, 95) * 1000
    print(line("all requests", every, width=13))
    print(f"p95 {p95:.1f} ms over {total:,} cases (goal ≤ 50 ms; ratio {p95 / 50:.2f})")
    print(load)


if __name__ == "__main__":
    main()
