"""The scale curve (issue 17 item 5): the case list, street staff's queue, the district
dashboard and the SLA scan at 250,000, 500,000, 1,000,000 and 2,000,000 cases in one run,
p95 of each per size and the ratio 2M / 250k (goal ≤ 1.2: the same work costs the same
whatever the archive holds).

    .venv/bin/python bench/scale_curve.py [--rounds 3] [--passes 1]

The sizes are the district demo seeded with ``--history N`` and rolled up, one database each
(``gridgov_scale_N``; 2,000,000 is ``gridgov_dash_bench``, see ``dashboard.py``); a missing
one is skipped, with the commands that build it. Each size is measured in a process of its
own (its ``DATABASE_URL``), in turn, ``--passes`` times (forwards, then backwards, so a
machine that gets busier during the run weighs on every size). What one measurement is:

- case list: ``case_list.py``'s people × queries, ``--rounds`` times (in-process);
- staff queue: ``pages.py``'s five street-staff queue pages, ``10 × --rounds`` each;
- dashboard: ``dashboard.py``'s load (KPIs, street and community rankings, 12-month trend)
  for the last 30 days, ``10 × --rounds`` loads;
- SLA scan: 20,000 bench cases written open, a tenth of them due, one full scan
  (``--rounds`` scans; the bench cases are deleted after each).

Before measuring, a child runs one untimed scan for what the seeded history still owes (its
open cases were never scanned); after such a scan, and after its own SLA rounds, it does what
autovacuum and beat would soon do: ``VACUUM ANALYZE`` of the cases and the open-case tally's
compaction.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _setup import database_exists
from _stats import Load, percentile

SIZES = {
    250_000: "gridgov_scale_250000",
    500_000: "gridgov_scale_500000",
    1_000_000: "gridgov_scale_1000000",
    2_000_000: "gridgov_dash_bench",
}
PG = "postgres://postgres@127.0.0.1:5432/"
MEASURES = ("case list", "staff queue", "dashboard", "SLA scan")
GOAL = 1.2


def build(size: int, db: str) -> str:
    url = f"DATABASE_URL={PG}{db}"
    return (
        f"createdb -h 127.0.0.1 -U postgres {db} && {url} .venv/bin/python manage.py migrate && "
        f"{url} .venv/bin/python manage.py seed_demo --scale district --history {size} && "
        f"{url} .venv/bin/python manage.py rollup_days"
    )


def measure(rounds: int) -> dict[str, list[float]]:
    """In the child: every measure's samples (seconds) on this process's database."""
    from unittest import mock

    import case_list
    import dashboard
    import pages
    import sla_scan
    from django.db import connection, reset_queries
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from assessment import tally
    from cases.models import Case
    from workflows.models import Notification
    from workflows.sla import scan_deadlines

    def client_of(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    def timed(client: Client, url: str, params: dict | None = None) -> float:
        started = time.perf_counter()
        response = client.get(url, params or {})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, params, response.status_code)
        reset_queries()
        return elapsed

    def settle() -> None:
        """What autovacuum and the tally's compaction (beat, every minute) would do after a
        sweep: until a VACUUM the visibility map no longer serves the open-case index and the
        dead rows of deleted bench cases sit in today's reads."""
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cases_case")
        tally.compact()

    # First, untimed: what the seeded history still owes (its open cases were never scanned).
    if scan_deadlines().batches:
        settle()
    out: dict[str, list[float]] = {name: [] for name in MEASURES}
    for username in case_list.USERS:
        client = client_of(username)
        timed(client, "/api/v1/cases/")
        for _ in range(rounds):
            out["case list"] += [timed(client, "/api/v1/cases/", q) for q in case_list.QUERIES]
    staff = client_of("demo_staff")
    for _username, url, _label in (p for p in pages.PAGES if p[0] == "demo_staff"):
        timed(staff, url)
        out["staff queue"] += [timed(staff, url) for _ in range(10 * rounds)]
    frozen = mock.patch.object(timezone, "now", return_value=timezone.now())
    frozen.start()
    admin, requests = client_of("demo_admin"), dashboard.requests_for(30)
    dashboard.load(admin, requests)
    out["dashboard"] = [dashboard.load(admin, requests)[0] for _ in range(10 * rounds)]
    frozen.stop()
    for _ in range(rounds):
        sla_scan.make_cases(20_000, 0.1)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
        started = time.perf_counter()
        scan_deadlines()
        out["SLA scan"].append(time.perf_counter() - started)
        Notification.objects.filter(dedupe_key__startswith="sla:").delete()
        sla_scan.delete_cases(Case.objects.filter(number__startswith=sla_scan.MARK))
    settle()  # for the next pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.environ.setdefault("DEBUG", "false")
        os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
        print(json.dumps(measure(args.rounds)))
        return
    sizes = {size: db for size, db in SIZES.items() if database_exists(db)}
    for size, db in SIZES.items():
        if size not in sizes:
            print(f"skipped {size:,} cases: no {db}; build it: {build(size, db)}")
    if len(sizes) < 2:
        sys.exit(3)
    samples: dict[int, dict[str, list[float]]] = {
        size: {name: [] for name in MEASURES} for size in sizes
    }
    load = Load()
    order = list(sizes)
    for n in range(args.passes):
        for size in order if n % 2 == 0 else order[::-1]:
            child = subprocess.run(
                [sys.executable, __file__, "--child", "--rounds", str(args.rounds)],
                env={**os.environ, "DATABASE_URL": PG + sizes[size]},
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parent.parent,
            )
            if child.returncode != 0:
                sys.exit(f"{size:,} cases: {child.stderr[-2000:]}")
            for name, values in json.loads(child.stdout.splitlines()[-1]).items():
                samples[size][name] += values
    smallest, largest = min(sizes), max(sizes)
    print(f"p95 in ms (n samples) per size; ratio {largest:,} / {smallest:,} (goal ≤ {GOAL})")
    print(f"{'':12}" + "".join(f"{size:>16,}" for size in sizes) + "     ratio")
    failed = False
    for name in MEASURES:
        p95 = {size: percentile(samples[size][name], 95) * 1000 for size in sizes}
        ratio = p95[largest] / p95[smallest]
        failed |= ratio > GOAL
        cells = "".join(f"{p95[s]:>10.1f} ({len(samples[s][name]):>3})" for s in sizes)
        print(f"{name:<12}{cells}  {ratio:8.2f}")
    print(load)
    if failed:
        print("a ratio is above the goal")


if __name__ == "__main__":
    main()
