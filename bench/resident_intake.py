"""Residents' intake against the worker's: POST /open311/v2/requests.json and the portal's
POST /public/report/ each against POST /api/v1/cases/ (the worker intake), measured in the
same run (goal: each resident channel ≥ 0.7× the worker intake's rate).

    createdb -h 127.0.0.1 -U postgres gridgov_open311_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_open311_bench \
    CACHE_URL=redis://127.0.0.1:6379/3 python bench/resident_intake.py [--rounds 6 --per-round 40]

A private database of its own (migrated and seeded with the small demo on first use; never
``gridgov_bench``). Server time in this process through Django's test client (routing,
middleware, rate limits, the intake service, its transaction — no network), DEBUG off, the
rate limits raised so that they count but never refuse. Rounds alternate the channels
(worker, Open311, portal, then reversed) so load that comes and goes on a shared machine
weighs on all alike. Bench cases are deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os

from _intake import cleanup, prepare, timed
from _stats import Load, line

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
QUEUE = "gridgov-resident-intake-bench"
prepare(QUEUE)

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from grids.selectors import visible_cells  # noqa: E402
from open311.demo import DEMO_KEY, create_demo_client  # noqa: E402

GOAL = 0.7


def channels(worker_token: str, lon: float, lat: float) -> dict:
    """Each channel: (client, path, body of request n, the status that means filed)."""
    text = "小区东门井盖松动，踩上去会晃。"
    api = Client(HTTP_AUTHORIZATION=f"Token {worker_token}")
    worker = {"title": "井盖松动", "description": text, "category": "C0101", "lon": lon, "lat": lat}

    def open311(n: int) -> dict:
        return {
            "api_key": DEMO_KEY,
            "service_code": "C0101",
            "attribute[state]": "broken",  # the demo's C0101 asks what is wrong with the cover
            "lat": lat,
            "long": lon,
            "description": text,
            "phone": f"139{n:08d}",
        }

    def portal(n: int) -> dict:
        body = {"description": text, "category": "C0101", "lon": lon, "lat": lat}
        return {**body, "phone": f"138{n:08d}"}

    return {
        "worker API": (api, "/api/v1/cases/", lambda n: worker, 201, "application/json"),
        "Open311": (Client(), "/open311/v2/requests.json", open311, 200, None),
        "portal": (Client(), "/public/report/", portal, 302, None),
    }


def run(channel, count: int, start: int) -> list[float]:
    client, path, body, ok, content_type = channel

    def post(n: int) -> None:
        kwargs = {"content_type": content_type} if content_type else {}
        data = json.dumps(body(n)) if content_type else body(n)
        response = client.post(path, data, **kwargs)
        assert response.status_code == ok, (path, response.status_code, response.content[:300])

    return timed(post, count, start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=40)
    args = parser.parse_args()
    settings.PUBLIC_RATES = {
        "report_ip": "1000000/h",
        "report_contact": "1000000/d",
        "open311_caller": "1000000/h",
        "open311_contact": "1000000/d",
    }
    create_demo_client()
    worker = User.objects.get(username="demo_worker")
    cell = visible_cells(worker).get()
    inside = cell.shape().representative_point()
    token = Client().post(
        "/api/v1/auth/token/", {"username": "demo_worker", "password": "gridgov-demo"}
    )
    assert token.status_code == 200, token.content
    chosen = channels(token.json()["token"], round(inside.x, 6), round(inside.y, 6))
    since = timezone.now()
    times: dict[str, list[float]] = {name: [] for name in chosen}
    load = Load()
    try:
        for name, channel in chosen.items():  # warm up
            run(channel, 5, 10_000_000 + len(name))
        order = list(chosen)
        for k in range(args.rounds):
            for name in order if k % 2 == 0 else reversed(order):
                times[name] += run(chosen[name], args.per_round, k * args.per_round)
    finally:
        cleanup(since, QUEUE)
    rate = {name: len(t) / sum(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{line(name, t, width=11)}  {rate[name]:6.1f} req/s")
    for name in ("Open311", "portal"):
        ratio = rate[name] / rate["worker API"]
        verdict = "ok" if ratio >= GOAL else "BELOW GOAL"
        print(f"ratio {name}/worker API: {ratio:.2f}  (goal ≥ {GOAL}: {verdict})")
    print(f"({args.rounds} alternating rounds of {args.per_round}; PostgreSQL; in-process)")
    print(load)


if __name__ == "__main__":
    main()
