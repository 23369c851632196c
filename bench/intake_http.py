"""Intake over HTTP: POST /api/v1/cases/ (all rules, event, routing, deadline) against a bare
DRF create endpoint of the same model, in one run (goal: ≥ 0.7 of the bare throughput).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_intake_bench \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/2 python bench/intake_http.py [--seconds 20]

Starts gunicorn (2 workers) with bench/bare_urls.py, then 32 concurrent keep-alive clients
post cases as demo_worker at points inside their cell for a fixed time against each
endpoint. Prints throughput, p50/p95 and the ratio. Bench cases are deleted afterwards.
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

from _setup import ROOT, django_setup

PORT = 8765
CLIENTS = 32

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it gets bench rows).")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
subprocess.run(
    [sys.executable, "manage.py", "seed_demo", "--if-empty", "--no-progress"],
    cwd=ROOT,
    check=True,
    capture_output=True,
)
django_setup()

import shapely  # noqa: E402
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
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        i = k
        mine, bad = [], []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _ = request(conn, path, bodies[i % len(bodies)], token)
            mine.append(time.perf_counter() - started)
            if status != 201:
                bad.append(status)
            i += CLIENTS
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "n": len(latencies),
        "errors": len(errors),
        "statuses": sorted(set(errors)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
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
        load("/bench/bare-cases/", bare, token, 3)  # warm both up
        load("/api/v1/cases/", full, token, 3)
        baseline = load("/bench/bare-cases/", bare, token, args.seconds)
        intake = load("/api/v1/cases/", full, token, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=20)
        delete_cases(Case.objects.filter(created_at__gte=since))
    for name, r in (("bare DRF create", baseline), ("GridGov intake", intake)):
        print(
            f"{name:<16} {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms"
            f"  ({r['n']} requests, {r['errors']} not 201 {r['statuses']})"
        )
    print(
        f"ratio intake/bare: {intake['rps'] / baseline['rps']:.2f}  (goal ≥ 0.7; "
        f"{CLIENTS} clients, gunicorn 2 workers, PostgreSQL)"
    )


if __name__ == "__main__":
    main()
