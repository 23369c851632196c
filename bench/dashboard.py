"""The district dashboard's numbers over 2,000,000 cases: rollups against the case table.

One command, once the database is prepared:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_dash_bench \\
        .venv/bin/python bench/dashboard.py [--rounds 10] [--baseline-rounds 3]

Preparing it (once): a copy of the seeded district demo, migrated, with its rollups backfilled

    createdb -h 127.0.0.1 -U postgres -T gridgov_bench gridgov_dash_bench
    DATABASE_URL=…/gridgov_dash_bench .venv/bin/python manage.py migrate
    DATABASE_URL=…/gridgov_dash_bench .venv/bin/python manage.py rollup_days

What a dashboard load is: for the district administrator, the district's KPI row
(``level=district``), the street and community rankings (``level=street``,
``level=community``) for the period, and the district's monthly trend over the last twelve
months — four requests to ``/api/v1/indicators/…``, timed in-process with Django's test client
(routing, auth, scope, queries, JSON; no network). Two periods: the last 30 days and the last
365 days. Each load runs warm ``--rounds`` times from the rollups, then ``--baseline-rounds``
times with the rollups switched off (``last_rolled_day`` → None, so every count comes from the
case table through the same code), and the two sets of answers must be equal.
Goal: rollups ≤ 300 ms warm (p95) and ≥ 10× faster than the case table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import timedelta
from unittest import mock

from _setup import district_or_skip, django_setup
from _stats import Load, line

os.environ.setdefault("DEBUG", "false")
django_setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from assessment import selectors  # noqa: E402
from assessment.models import CellRollup, RolledDay  # noqa: E402


def requests_for(days: int) -> list[tuple[str, dict]]:
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    period = {"start": start.isoformat(), "end": today.isoformat()}
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return [
        ("/api/v1/indicators/", {"level": "district", **period}),
        ("/api/v1/indicators/", {"level": "street", **period}),
        ("/api/v1/indicators/", {"level": "community", **period}),
        (
            "/api/v1/indicators/trend/",
            {"bucket": "month", "start": first.isoformat(), "end": today.isoformat()},
        ),
    ]


def load(client: Client, requests) -> tuple[float, list, int]:
    """One dashboard load: (seconds, the JSON answers, queries run)."""
    answers = []
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        for url, params in requests:
            response = client.get(url, params)
            assert response.status_code == 200, (url, params, response.content[:300])
            answers.append(response.content)
        elapsed = time.perf_counter() - started
    return elapsed, [json.loads(a) for a in answers], len(queries)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * q) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--baseline-rounds", type=int, default=3)
    args = parser.parse_args()

    total = district_or_skip()
    machine = Load()
    rolled = RolledDay.objects.count()
    if not rolled:
        raise SystemExit("no rollups: run `manage.py rollup_days` on this database first")
    print(
        f"{total:,} cases; {rolled:,} days rolled up into {CellRollup.objects.count():,} cell "
        f"rows (last {selectors.last_rolled_day()})"
    )
    client = Client()
    client.force_login(User.objects.get(username="demo_admin"))
    # One "now" for the whole run: the seeded history has steps stamped a little after the
    # seed's clock, which would otherwise drift into "today" between the two measurements.
    frozen = mock.patch.object(timezone, "now", return_value=timezone.now())
    frozen.start()
    for days in (30, 365):
        requests = requests_for(days)
        load(client, requests)  # warm: connections, caches, plans
        fast, answers, fast_queries = [], None, 0
        for _ in range(args.rounds):
            seconds, answers, fast_queries = load(client, requests)
            fast.append(seconds * 1000)
        slow, slow_answers, slow_queries = [], None, 0
        with mock.patch.object(selectors, "last_rolled_day", return_value=None):
            for _ in range(args.baseline_rounds):
                seconds, slow_answers, slow_queries = load(client, requests)
                slow.append(seconds * 1000)
        same = answers == slow_answers
        ratio = statistics.median(slow) / statistics.median(fast)
        print(
            f"district dashboard, last {days} days (KPIs + {len(answers[1]['results'])} streets"
            f" + {len(answers[2]['results'])} communities + 12-month trend):"
        )
        print(f"  {line('rollups', [ms / 1000 for ms in fast], width=10)}  {fast_queries} queries")
        print(
            f"  {line('case table', [ms / 1000 for ms in slow], width=10)}  {slow_queries} queries"
        )
        print(
            f"  ratio {ratio:.1f}x (goal >= 10x); p95 {pct(fast, 0.95):.0f} ms (goal <= 300 ms);"
            f" same answers: {'yes' if same else 'NO'}"
        )
        if not same:
            for fast_answer, slow_answer in zip(answers, slow_answers, strict=True):
                if fast_answer != slow_answer:
                    print("  first difference:", json.dumps(fast_answer)[:400])
                    print("                    ", json.dumps(slow_answer)[:400])
                    break
    print(machine)


if __name__ == "__main__":
    main()
