"""Intake over HTTP: POST /api/v1/cases/ (all rules, event, routing, deadline) against a bare
DRF create endpoint of the same model, in one run (goal: ≥ 0.7 of the bare throughput).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_intake_bench \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/2 python bench/intake_http.py [--seconds 20]

Starts gunicorn (2 workers) with bench/bare_urls.py, then 32 concurrent keep-alive clients
post cases as demo_worker at points inside their cell against each endpoint, in alternating
rounds (bare, intake, intake, bare, …) that add up to ``--seconds`` per endpoint: on a
machine shared with other work, load that comes and goes then weighs on both endpoints
alike instead of on whichever ran during it. Prints throughput, p50/p95 and the ratio.
Bench cases are deleted afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from _setup import ROOT, django_setup

PORT = 8765
CLIENTS = 32

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it gets bench rows).")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
# No worker consumes during the bench: the after-intake sweeps it queues go to a queue of
# their own, purged at the end, rather than piling up where a real worker would run them.
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE = "gridgov-intake-bench"
subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
subprocess.run(
    [sys.executable, "manage.py", "seed_demo", "--if-empty", "--no-progress"],
    cwd=ROOT,
    check=True,
    capture_output=True,
)
django_setup()

import shapely  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from cases.demo import delete_cases  # noqa: E402
from cases.models import Case, Category  # noqa: E402
from grids.selectors import visible_cells  # noqa: E402


def points_in(cell, n: int) -> list[tuple[float, float]]:
    rng, polygon, out = random.Random(3), shapely.geometry.shape(cell.geometry), []
    while len(out) < n:
        lon, lat = rng.uniform(cell.min_lon, cell.max_lon), rng.uniform(cell.min_lat, cell.max_lat)
        if polygon.contains(shapely.Point(lon, lat)):
            out.append((round(lon, 6), round(lat, 6)))
    return out


def request(conn, path: str, body: dict, token: str | None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    conn.request("POST", path, json.dumps(body), headers)
    response = conn.getresponse()
    return response.status, response.read()


def load(path: str, bodies: list[dict], token: str, seconds: float) -> dict:
    """Post to ``path`` from CLIENTS threads for ``seconds``: latencies, errors, and how many
    responses came back within the window (requests still running at its end are waited
    for but not counted, so a slower endpoint's longer drain does not lower its rate)."""
    latencies: list[float] = []
    errors: list[int] = []
    done_in_window = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(k: int) -> None:
        nonlocal done_in_window
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        i = k
        mine, bad, in_window = [], [], 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _ = request(conn, path, bodies[i % len(bodies)], token)
            finished = time.perf_counter()
            mine.append(finished - started)
            in_window += finished <= deadline
            if status != 201:
                bad.append(status)
            i += CLIENTS
        with lock:
            latencies.extend(mine)
            errors.extend(bad)
            done_in_window += in_window

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies": latencies, "errors": errors, "done": done_in_window, "window": seconds}


def server_processes(server_pid: int) -> list[int]:
    """The gunicorn workers (children of the master) and their PostgreSQL backends."""
    workers = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == server_pid:
                workers.append(int(entry))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    return workers + backends


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


def drop_queue() -> None:
    """Purge the tasks the bench queued from the broker."""
    from kombu import Queue

    from gridgov.celery import app

    with app.connection_for_write() as conn:
        Queue(QUEUE, channel=conn.default_channel).purge()


def summary(rounds: list[dict]) -> dict:
    """Throughput (responses within the windows over their length), p50/p95 and errors."""
    latencies = sorted(x for r in rounds for x in r["latencies"])
    errors = [status for r in rounds for status in r["errors"]]
    return {
        "rps": sum(r["done"] for r in rounds) / sum(r["window"] for r in rounds),
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "n": len(latencies),
        "errors": len(errors),
        "statuses": sorted(set(errors)),
        "cpu_ms": sum(r["cpu"] for r in rounds) / len(latencies) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20, help="per endpoint, all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per endpoint")
    args = parser.parse_args()
    worker = User.objects.get(username="demo_worker")
    cell = visible_cells(worker).get()
    category = Category.objects.get(code="C0101")
    points = points_in(cell, 2000)
    full = [
        {
            "title": "井盖破损",
            "description": "巡查发现井盖破损。",
            "category": "C0101",
            "lon": lon,
            "lat": lat,
        }
        for lon, lat in points
    ]
    bare = [
        {
            "title": "井盖破损",
            "description": "巡查发现井盖破损。",
            "category": category.pk,
            "lon": lon,
            "lat": lat,
            "cell": cell.pk,
            "street": cell.community.street_id,
        }
        for lon, lat in points
    ]
    since = timezone.now()
    env = {**os.environ, "ROOT_URLCONF": "bench.bare_urls", "DEBUG": "false"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "gridgov.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
                status, body = request(
                    conn,
                    "/api/v1/auth/token/",
                    {"username": "demo_worker", "password": "gridgov-demo"},
                    None,
                )
                if status == 200:
                    token = json.loads(body)["token"]
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            sys.exit("gunicorn did not come up")
        endpoints = {"bare": ("/bench/bare-cases/", bare), "intake": ("/api/v1/cases/", full)}
        for path, bodies in endpoints.values():  # warm both up
            load(path, bodies, token, 3)
        rounds: dict[str, list[dict]] = {name: [] for name in endpoints}
        for k in range(args.rounds):
            # bare, intake, intake, bare, …: a steady drift in background load cancels out.
            for name in ("bare", "intake") if k % 2 == 0 else ("intake", "bare"):
                path, bodies = endpoints[name]
                before = cpu_seconds(server_processes(server.pid))
                result = load(path, bodies, token, args.seconds / args.rounds)
                after = cpu_seconds(server_processes(server.pid))  # and any new backend
                result["cpu"] = sum(after[pid] - before.get(pid, 0.0) for pid in after)
                rounds[name].append(result)
        baseline, intake = summary(rounds["bare"]), summary(rounds["intake"])
    finally:
        server.terminate()
        server.wait(timeout=20)
        delete_cases(Case.objects.filter(created_at__gte=since))
        drop_queue()
    for name, r in (("bare DRF create", baseline), ("GridGov intake", intake)):
        print(
            f"{name:<16} {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms"
            f"  ({r['n']} requests, {r['errors']} not 201 {r['statuses']})"
        )
    print(
        f"ratio intake/bare: {intake['rps'] / baseline['rps']:.2f}  (goal ≥ 0.7; "
        f"{CLIENTS} clients, gunicorn 2 workers, PostgreSQL, {args.rounds} rounds each)"
    )
    per_round = [
        i["done"] / b["done"] for b, i in zip(rounds["bare"], rounds["intake"], strict=True)
    ]
    print("ratio per round:", "  ".join(f"{r:.2f}" for r in per_round))
    # Throughput on a machine shared with other work swings with that work; the CPU a request
    # costs the server (gunicorn workers and their PostgreSQL backends) swings far less.
    print(
        f"server CPU per request: bare {baseline['cpu_ms']:.1f} ms, intake "
        f"{intake['cpu_ms']:.1f} ms, bare/intake {baseline['cpu_ms'] / intake['cpu_ms']:.2f}"
    )


if __name__ == "__main__":
    main()
