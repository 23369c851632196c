"""The pages over the district demo (2,000,000 cases): server time of a grid worker's home,
the report form, street staff's queue (its tabs, searched and filtered) and a handler's
department tabs (goal p95 ≤ 150 ms, constant query counts), and
what a worker's page weighs on first load (goal ≤ 300 KB transferred, photos aside).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench python bench/pages.py

Requests go through Django's test client in this process (server time, no network), with
DEBUG off as in production (cached templates, no query log).
Weight: the page's HTML, every stylesheet and script it loads and the JSON it fetches,
each gzip-compressed as production serves them (whitenoise's precompressed static files;
HTML and JSON compressed by the front proxy), and also uncompressed.
"""

from __future__ import annotations

import os
import re
import time

from _setup import district_or_skip, django_setup
from _stats import Load, line, percentile

# As served in production: templates parsed once (the cached loader), no query log.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
django_setup()

from _weight import page_weight  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

User = get_user_model()
ROUNDS = 40
PAGES = [
    ("demo_worker", "/", "worker home"),
    ("demo_worker", "/report/", "report form"),
    ("demo_staff", "/queue/", "staff queue: new"),
    ("demo_staff", "/queue/?tab=approvals", "staff queue: approvals"),
    ("demo_staff", "/queue/?tab=overdue", "staff queue: overdue"),
    ("demo_staff", "/queue/?q=井盖&age=older", "staff queue: searched"),
    ("demo_staff", "/queue/?source=resident", "staff queue: filtered"),
    ("demo_handler", "/department/", "department: to start"),
    ("demo_handler", "/department/?tab=progress", "department: in progress"),
    ("demo_handler", "/department/?tab=verification", "department: verification"),
    ("demo_handler", "/department/?tab=suspended", "department: suspended"),
    ("demo_handler", "/department/?tab=progress&page=2", "department: page 2"),
    ("demo_handler", "/department/?tab=progress&q=路灯", "department: searched"),
]
WORKER_PAGES = ["/", "/report/"]
# What the worker pages fetch after load (the map's cells).
WORKER_FETCHES = ["/api/v1/cells/"]


def p95(values: list[float]) -> float:
    return percentile(values, 95)


def timed(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    reset_queries()
    return elapsed


def server_times() -> float:
    clients: dict[str, Client] = {}
    worst = 0.0
    for username, url, label in PAGES:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        client = clients[username]
        timed(client, url)  # warm
        ms = [timed(client, url) * 1000 for _ in range(ROUNDS)]
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        rows = len(
            re.findall(rb'data-testid="(?:case-row|queue-item|department-case)"', response.content)
        )
        worst = max(worst, p95(ms))
        print(
            f"{line(label, [x / 1000 for x in ms], width=26)}  {len(queries):2d} queries  "
            f"{rows:3d} rows"
        )
    return worst


def main() -> None:
    total = district_or_skip()
    load = Load()
    print(f"{total:,} cases in the database; {ROUNDS} requests per page")
    worst = server_times()
    print(f"worst p95 {worst:.1f} ms (goal ≤ 150 ms; ratio to goal {worst / 150:.2f})")
    worker = Client()
    worker.force_login(User.objects.get(username="demo_worker"))
    for url in WORKER_PAGES:
        raw, compressed = page_weight(worker, url, WORKER_FETCHES)
        print(
            f"worker page {url:<10} first load {compressed / 1024:6.1f} KB gzip "
            f"({raw / 1024:6.1f} KB uncompressed); goal ≤ 300 KB, "
            f"ratio {compressed / 1024 / 300:.2f}"
        )
    print(load)


if __name__ == "__main__":
    main()
