"""Follow-up latency under load: from a case filed over the API to the street staff's notice.

    python bench/follow_up_latency.py [--rate 40] [--seconds 60]

On a private PostgreSQL cluster and Redis (as bench/drills.py starts them, never the shared
ones) with gunicorn (4 workers), a Celery worker and beat, grid workers file cases at a fixed
rate (open loop: each filing starts on its schedule, whether or not the last one returned)
for ``--seconds``. Then, once every case is followed up, it reads for each case the time
from ``Case.created_at`` to the first notice to its street's staff (the intake follow-up's
``action_needed`` row) and prints the sample count, the rate reached, p50, p95 and max.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from drills import Api, Stack, private_stack, seed_golden

LATENCIES = """
import json
from cases.models import Case
from workflows.models import Notification
ids = json.loads(IDS)
pending = Case.objects.filter(pk__in=ids, intake_pending=True).count()
created = dict(Case.objects.filter(pk__in=ids).values_list("pk", "created_at"))
first = {}
for case_id, at in Notification.objects.filter(
    case__in=ids, dedupe_key__startswith="action:", dedupe_key__contains=":1:u"
).values_list("case_id", "created_at"):
    first[case_id] = min(at, first.get(case_id, at))
print(json.dumps({
    "pending": pending,
    "seconds": [(first[pk] - created[pk]).total_seconds() for pk in ids if pk in first],
}))
"""


def file_at_rate(stack: Stack, points: dict, rate: float, seconds: float) -> tuple[list, Counter]:
    api = Api(stack.ports)
    workers = [api.sign_in(user) for user in points]
    spots = list(points.values())
    filed, statuses, lock = [], Counter(), threading.Lock()

    def file(n: int) -> None:
        rng = random.Random(n)
        point = spots[n % len(spots)]
        status, body = workers[n % len(workers)].call(
            "POST",
            "/cases/",
            {
                "category": rng.choice(["C0101", "C0102", "C0201", "E0101"]),
                "title": "时延测量",
                "description": f"时延测量 {n}",
                "lon": point[0] + rng.uniform(-1e-4, 1e-4),
                "lat": point[1] + rng.uniform(-1e-4, 1e-4),
            },
        )
        with lock:
            statuses[status] += 1
            if status == 201:
                filed.append(body["id"])

    started = time.monotonic()
    with ThreadPoolExecutor(64) as pool:
        for n in range(int(rate * seconds)):
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
            pool.submit(file, n)
    return filed, statuses


def measure(golden, points: dict, work: Path, *, rate: float, seconds: float) -> bool:
    """File at ``rate`` for ``seconds`` on a copy of ``golden``; print the figures. True if
    every case filed was followed up."""
    with private_stack(golden, work, web_workers=4) as stack:
        t0 = time.monotonic()
        filed, statuses = file_at_rate(stack, points, rate, seconds)
        took = time.monotonic() - t0
        script = LATENCIES.replace("IDS", repr(json.dumps(filed)))
        for _ in range(100):  # until every case is followed up (beat's sweep at the latest)
            result = json.loads(stack.shell(script).strip().splitlines()[-1])
            if result["pending"] == 0:
                break
            time.sleep(3)
    samples = sorted(result["seconds"])
    print(
        f"\n== latency: filed {sum(statuses.values())} cases in {took:.0f} s "
        f"({sum(statuses.values()) / took:.1f}/s, asked {rate:g}/s); "
        f"responses {dict(sorted(statuses.items()))}"
    )
    if len(samples) < 2:
        print("   too few samples")
        return False
    quantiles = statistics.quantiles(samples, n=100)
    print(
        f"   follow-up latency (filing → street staff's notice): samples {len(samples)}, "
        f"p50 {quantiles[49]:.2f} s, p95 {quantiles[94]:.2f} s, max {samples[-1]:.2f} s; "
        f"not followed up: {result['pending']}"
    )
    return result["pending"] == 0 and len(samples) == len(filed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=40.0, help="filings per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gridgov-latency-") as tmp:
        work = Path(tmp)
        golden, points = seed_golden(work)
        (work / "run").mkdir()
        ok = measure(golden, points, work / "run", rate=args.rate, seconds=args.seconds)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
