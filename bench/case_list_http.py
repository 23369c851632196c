"""GET /api/v1/cases/ through gunicorn, several clients at once, over the district demo's
2,000,000 cases (issue 17: p95 ≤ 35 ms with 8 concurrent clients).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench \\
        .venv/bin/python bench/case_list_http.py [--clients 8] [--rounds 6] [--workers N]

Starts gunicorn (``--workers``, default 2 × CPUs + 1, DEBUG off) on that database, signs in
the four people of ``case_list.py`` (street staff, a grid worker, a handler, the district
admin) for a token each, then runs rounds: in each, ``--clients`` keep-alive clients send
every (person, query) of the mix once, each client in its own shuffled order — the list's
first pages and filters at page sizes 20, 50 and 100. The first round after the server
starts is reported as cold (fresh worker processes: no database connection, no cached
plans, no warm Python caches), the others as warm. Prints n and p50/p95/p99 of each, the
throughput and the machine's load. Nothing is written.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import threading
import time
from urllib.parse import urlencode

from _http import at_once, gunicorn, sign_in
from _setup import district_or_skip
from _stats import Load, line, percentile
from case_list import QUERIES, USERS  # sets Django up

PORT = 8710
GOAL_MS = 35
MIX = [*QUERIES, {"page_size": 50}, {"status": "handling", "page_size": 50}]


def one_round(tokens: dict[str, str], clients: int, seed: int) -> list[float]:
    """Every client sends every (person, query) of the mix once: the latencies."""
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[tuple] = []

    def client(k: int) -> None:
        work = [(user, params) for user in USERS for params in MIX]
        random.Random(seed * 100 + k).shuffle(work)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine = []
        for user, params in work:
            started = time.perf_counter()
            conn.request(
                "GET",
                f"/api/v1/cases/?{urlencode(params)}",
                headers={"Authorization": f"Token {tokens[user]}"},
            )
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                failures.append((user, params, response.status))
        with lock:
            latencies.extend(mine)

    at_once(client, range(clients))
    if failures:
        sys.exit(f"not 200: {failures[:5]}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=6, help="the first is the cold one")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    total = district_or_skip()
    with gunicorn(PORT, args.workers):
        tokens = {user: sign_in(PORT, user) for user in USERS}
        load = Load()
        started = time.perf_counter()
        rounds = [one_round(tokens, args.clients, seed) for seed in range(args.rounds)]
        elapsed = time.perf_counter() - started
    cold, warm = rounds[0], [t for r in rounds[1:] for t in r]
    requests = sum(len(r) for r in rounds)
    print(
        f"GET /api/v1/cases/ over {total:,} cases: gunicorn {args.workers} workers,"
        f" {args.clients} clients at once, {len(USERS)} people × {len(MIX)} queries each"
    )
    print(f"  {line('cold round', cold, width=11)}")
    print(f"  {line('warm rounds', warm, width=11)}")
    p95 = percentile(warm, 95) * 1000
    print(
        f"  warm p95 {p95:.1f} ms (goal ≤ {GOAL_MS} ms; ratio {p95 / GOAL_MS:.2f});"
        f" {requests / elapsed:.0f} requests/s over {elapsed:.1f} s"
    )
    print(f"  {load}")


if __name__ == "__main__":
    main()
