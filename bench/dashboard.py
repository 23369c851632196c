"""The district dashboard's numbers over 2,000,000 cases: rollups against the case table.

One command, once the database is prepared:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_dash_bench \\
        .venv/bin/python bench/dashboard.py [--loads 50] [--baseline-loads 3]

Preparing it (once): a copy of the seeded district demo, migrated, with its rollups backfilled

    createdb -h 127.0.0.1 -U postgres -T gridgov_bench gridgov_dash_bench
    DATABASE_URL=…/gridgov_dash_bench .venv/bin/python manage.py migrate
    DATABASE_URL=…/gridgov_dash_bench .venv/bin/python manage.py rollup_days

What a dashboard load is: for the district administrator, the district's KPI row
(``level=district``), the street and community rankings (``level=street``,
``level=community``) for the period, and the district's monthly trend over the last twelve
months — four requests to ``/api/v1/indicators/…``, timed in-process with Django's test client
(routing, auth, scope, queries, JSON; no network). Two periods: the last 30 days and the last
365 days. Each period runs ``--loads`` warm loads from the rollups, then ``--baseline-loads``
with the rollups and the open-case tally switched off (``last_rolled_day`` → None,
``tally.maintained`` → False, so every count comes from the case table through the same
code) in the same run, and the two sets of answers must be equal.
Printed per period: the sample count, p50/p95/p99 (wall, and this process's CPU: the Python
side's work, which other load on the machine does not inflate), queries per load, the ratio of
the medians, the machine's load while measuring (``_stats.Load``), since the machine
is shared, and every live read of the case table in one load, ``EXPLAIN ANALYZE``d (a
sequential scan of it fails the run). Goals: p95 ≤ 150 ms for both periods over ≥ 50 loads
(issue 17; ≤ 300 ms in issue 12), and ≥ 10× faster than the case table.
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
from _stats import Load, line, percentile

os.environ.setdefault("DEBUG", "false")
django_setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from assessment import selectors, tally  # noqa: E402
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


def load(client: Client, requests) -> tuple[float, list, int, float]:
    """One dashboard load: (seconds, the JSON answers, queries run, this process's CPU
    seconds — the Python side's work, which the machine's other load does not inflate)."""
    answers = []
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        for url, params in requests:
            response = client.get(url, params)
            assert response.status_code == 200, (url, params, response.content[:300])
            answers.append(response.content)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return elapsed, [json.loads(a) for a in answers], len(queries), cpu


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


CASE_INDEXES = ("case_", "cases_case_", "assessment_case_")


def case_table_reads(client: Client, requests) -> list[str]:
    """What a load reads from the case table live (today's counts, the open and overdue
    counts): its queries that read ``cases_case``, each ``EXPLAIN ANALYZE``d, summed by the
    way they read it (a ``Seq Scan`` of ``cases_case`` would be a live scan of 2M rows)."""
    with CaptureQueriesContext(connection) as queries:
        for url, params in requests:
            client.get(url, params)
    ways: dict[str, list] = {}
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if '"cases_case"' not in query["sql"].split(" WHERE ")[0]:
                continue
            started = time.perf_counter()
            cursor.execute(query["sql"])
            cursor.fetchall()
            plain_ms = (time.perf_counter() - started) * 1000
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
            (result,) = cursor.fetchone()
            nodes = list(_nodes(result[0]["Plan"]))
            way = ", ".join(
                sorted(
                    f"{n['Node Type']} {n.get('Index Name', 'cases_case')}"
                    for n in nodes
                    if n.get("Relation Name") == "cases_case"
                    or n.get("Index Name", "").startswith(CASE_INDEXES)
                )
            )
            nodes = [n for n in nodes if n.get("Relation Name") == "cases_case"]
            read = sum(n["Actual Rows"] * n["Actual Loops"] for n in nodes)
            seen = ways.setdefault(way, [0, 0.0, 0, 0.0])
            seen[0] += 1
            seen[1] += result[0]["Execution Time"]
            seen[2] += read
            seen[3] += plain_ms
    # EXPLAIN ANALYZE times every row through its instrumentation (an 80,000-row scan reads
    # twice as slow under it): the query's own time, run plainly, is printed beside it.
    return [
        f"{n} × {plain / n:6.1f} ms ({ms / n:6.1f} under EXPLAIN ANALYZE), {rows // n:7,} rows"
        f" each: {way}"
        for way, (n, ms, rows, plain) in sorted(ways.items(), key=lambda item: -item[1][1])
    ]


def seconds(values_ms: list[float]) -> list[float]:
    return [ms / 1000 for ms in values_ms]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--baseline-loads", type=int, default=3)
    args = parser.parse_args()

    total = district_or_skip()
    rolled = RolledDay.objects.count()
    if not rolled:
        raise SystemExit("no rollups: run `manage.py rollup_days` on this database first")
    print(
        f"{total:,} cases; {rolled:,} days rolled up into {CellRollup.objects.count():,} cell "
        f"rows (last {selectors.last_rolled_day()}); {os.cpu_count()} CPUs"
    )
    client = Client()
    client.force_login(User.objects.get(username="demo_admin"))
    # One "now" for the whole run: the seeded history has steps stamped a little after the
    # seed's clock, which would otherwise drift into "today" between the two measurements.
    frozen = mock.patch.object(timezone, "now", return_value=timezone.now())
    frozen.start()
    failed = False
    for days in (30, 365):
        requests = requests_for(days)
        load(client, requests)  # warm: connections, caches, plans
        machine = Load()
        fast, fast_cpu, answers, fast_queries = [], [], None, 0
        for _ in range(args.loads):
            took, answers, fast_queries, cpu = load(client, requests)
            fast.append(took * 1000)
            fast_cpu.append(cpu * 1000)
        slow, slow_answers, slow_queries = [], None, 0
        with (
            mock.patch.object(selectors, "last_rolled_day", return_value=None),
            mock.patch.object(tally, "maintained", return_value=False),
        ):
            for _ in range(args.baseline_loads):
                took, slow_answers, slow_queries, _cpu = load(client, requests)
                slow.append(took * 1000)
        same = answers == slow_answers
        ratio = statistics.median(slow) / statistics.median(fast)
        p95 = percentile(fast, 95)
        failed |= not same or ratio < 10 or p95 > 150
        print(
            f"district dashboard, last {days} days (KPIs + {len(answers[1]['results'])} streets"
            f" + {len(answers[2]['results'])} communities + 12-month trend):"
        )
        print(f"  {line('rollups', seconds(fast), width=11)}  ({fast_queries} queries a load)")
        print(f"  {line(' its CPU', seconds(fast_cpu), width=11)}  (Python, not the DB)")
        print(f"  {line('case table', seconds(slow), width=11)}  ({slow_queries} queries a load)")
        print(
            f"  ratio {ratio:.1f}x (goal >= 10x); p95 {p95:.0f} ms (goal <= 150 ms);"
            f" same answers: {'yes' if same else 'NO'}"
        )
        reads = case_table_reads(client, requests)
        print("  live reads of the case table in one load (their plans by EXPLAIN ANALYZE):")
        for read in reads:
            print("   ", read)
        print(f"  {machine}")
        failed |= any("Seq Scan" in read for read in reads)
        if not same:
            for fast_answer, slow_answer in zip(answers, slow_answers, strict=True):
                if fast_answer != slow_answer:
                    print("  first difference:", json.dumps(fast_answer)[:400])
                    print("                    ", json.dumps(slow_answer)[:400])
                    break
    frozen.stop()
    if failed:
        raise SystemExit("a goal was missed (see above)")


if __name__ == "__main__":
    main()
