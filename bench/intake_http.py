"""Intake over HTTP: POST /api/v1/cases/ (all rules, event, routing, deadline) against a bare
DRF create endpoint of the same model, in one run. Goal: bare/intake ≥ 0.85 by server CPU per
request, the after-intake sweep's CPU per case counted in intake's; the sweep's CPU ≤ 25 % of
intake's own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_intake_bench \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/2 python bench/intake_http.py [--seconds 20]

Starts gunicorn (2 workers) with bench/bare_urls.py, then 32 concurrent keep-alive clients
post cases as demo_worker at points inside their cell against each endpoint, in alternating
rounds (bare, intake, intake, bare, …) that add up to ``--seconds`` per endpoint: on a
machine shared with other work, load that comes and goes then weighs on both endpoints
alike instead of on whichever ran during it. Then runs the after-intake sweep over the cases
filed (in this process, as a worker would). Prints throughput, n/p50/p95/p99, the machine's
load, server CPU per request (gunicorn workers and their PostgreSQL backends) and the ratios.
Bench cases are deleted afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import threading
import time
from pathlib import Path

from _http import gunicorn, sign_in
from _intake import cleanup, cpu_seconds, follow_up_cpu, prepare
from _stats import Load, line

PORT = 8700
CLIENTS = 32
QUEUE = "gridgov-intake-bench"
GOAL = 0.85
prepare(QUEUE)

import shapely  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from cases.models import Category  # noqa: E402
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


def summary(rounds: list[dict]) -> dict:
    """Throughput (responses within the windows over their length), latencies and errors."""
    latencies = [x for r in rounds for x in r["latencies"]]
    errors = [status for r in rounds for status in r["errors"]]
    return {
        "rps": sum(r["done"] for r in rounds) / sum(r["window"] for r in rounds),
        "latencies": latencies,
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
    load_seen = Load()
    with gunicorn(PORT, 2, ROOT_URLCONF="bench.bare_urls") as server:
        token = sign_in(PORT, "demo_worker")
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
    try:
        swept, follow_ms = follow_up_cpu()
        follow_ms *= 1000
    finally:
        cleanup(since, QUEUE)
    for name, r in (("bare DRF create", baseline), ("GridGov intake", intake)):
        print(
            f"{line(name, r['latencies'], width=16)}  {r['rps']:6.1f} req/s  "
            f"{r['errors']} not 201 {r['statuses']}"
        )
    print(f"throughput intake/bare: {intake['rps'] / baseline['rps']:.2f}")
    per_round = [
        i["done"] / b["done"] for b, i in zip(rounds["bare"], rounds["intake"], strict=True)
    ]
    print("throughput ratio per round:", "  ".join(f"{r:.2f}" for r in per_round))
    # Throughput on a machine shared with other work swings with that work; the CPU a request
    # costs the server (gunicorn workers and their PostgreSQL backends) swings far less.
    whole = intake["cpu_ms"] + follow_ms
    ratio = baseline["cpu_ms"] / whole
    print(
        f"server CPU per request: bare {baseline['cpu_ms']:.2f} ms, intake "
        f"{intake['cpu_ms']:.2f} ms + after-intake sweep {follow_ms:.2f} ms per case "
        f"({swept} cases swept) = {whole:.2f} ms"
    )
    print(
        f"ratio bare/intake by CPU, sweep included: {ratio:.2f} (goal ≥ {GOAL}: "
        f"{'ok' if ratio >= GOAL else 'BELOW GOAL'}); sweep/intake "
        f"{follow_ms / intake['cpu_ms']:.0%} (goal ≤ 25 %)"
    )
    print(f"({CLIENTS} clients, gunicorn 2 workers, PostgreSQL, {args.rounds} rounds each)")
    print(load_seen)


if __name__ == "__main__":
    main()
