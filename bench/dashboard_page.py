"""The district dashboard page as a browser loads it: its JSON requests at once, through
gunicorn, over the district demo's 2,000,000 cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_dash_bench \\
        .venv/bin/python bench/dashboard_page.py [--loads 50] [--workers N]

(the database ``bench/dashboard.py`` uses: the district with its rollups.) ``bench/dashboard.py``
times a fixed set of four requests one after another in-process, to compare rollups with the
case table; what a district administrator waits for is the page itself, which
(``static/js/dashboard.js``) sends its requests together as soon as it opens — the KPIs
(``level=district``), the 12-month trend, the cell polygons and the cells' figures for the map
(``view=map``), and the ranking (``level=street``) — each on its own keep-alive connection,
as a browser would, revalidating what its cache holds (an answer with an ETag: the cell
polygons). A load lasts until the last answer has arrived. Starts gunicorn (``--workers``, default
2 × CPUs + 1, DEBUG off), signs in ``demo_admin``, runs one untimed load to warm the workers,
then ``--loads`` loads for the last 30 days and as many for the last 365, and prints n and
p50/p95/p99 of the whole load and of each request, and the machine's load. Nothing is
written. Goal (issue 17): the page's p95 ≤ 150 ms for both periods.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import time
from datetime import timedelta
from urllib.parse import urlencode

from _http import at_once, gunicorn, sign_in
from _setup import district_or_skip, django_setup
from _stats import Load, line, percentile

os.environ.setdefault("DEBUG", "false")
django_setup()

from django.utils import timezone  # noqa: E402

PORT = 8720
GOAL_MS = 150


def page_requests(days: int) -> dict[str, str]:
    """The page's requests (name → path and query) for the last ``days`` days."""
    today = timezone.localdate()
    period = {"start": (today - timedelta(days=days - 1)).isoformat(), "end": today.isoformat()}
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    trend = {"bucket": "month", "start": first.isoformat(), "end": today.isoformat()}
    return {
        "KPIs": "/api/v1/indicators/?" + urlencode({"level": "district", **period}),
        "trend": "/api/v1/indicators/trend/?" + urlencode(trend),
        "cell polygons": "/api/v1/cells/",
        "cell figures": "/api/v1/indicators/?"
        + urlencode({"level": "cell", "view": "map", **period}),
        "ranking": "/api/v1/indicators/?" + urlencode({"level": "street", **period}),
    }


class Browser:
    """One keep-alive connection per request of the page, as a browser opens them, and the
    browser's HTTP cache: an answer with an ETag is asked for again with ``If-None-Match``."""

    def __init__(self, token: str, names) -> None:
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        self.etags: dict[str, str] = {}
        self.connections = {
            n: http.client.HTTPConnection("127.0.0.1", PORT, timeout=60) for n in names
        }

    def load(self, requests: dict[str, str]) -> tuple[float, dict[str, float]]:
        """The page's requests at once: the whole load's seconds and each request's."""
        took: dict[str, float] = {}
        failures: list[tuple[str, int]] = []
        started = time.perf_counter()

        def fetch(name: str) -> None:
            conn = self.connections[name]
            headers = dict(self.headers)
            if requests[name] in self.etags:  # the browser's cache revalidates what it holds
                headers["If-None-Match"] = self.etags[requests[name]]
            began = time.perf_counter()
            conn.request("GET", requests[name], headers=headers)
            response = conn.getresponse()
            response.read()
            took[name] = time.perf_counter() - began
            if response.status == 200 and response.getheader("ETag"):
                self.etags[requests[name]] = response.getheader("ETag")
            elif response.status not in (200, 304):
                failures.append((name, response.status))

        at_once(fetch, requests)
        if failures:
            sys.exit(f"not 200: {failures}")
        return time.perf_counter() - started, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    total = district_or_skip()
    periods = {days: page_requests(days) for days in (30, 365)}
    results = {}
    with gunicorn(PORT, args.workers):
        browser = Browser(sign_in(PORT, "demo_admin"), periods[30])
        for requests in periods.values():  # warm every worker a little
            for _ in range(args.workers):
                browser.load(requests)
        load = Load()
        for days, requests in periods.items():
            results[days] = [browser.load(requests) for _ in range(args.loads)]
    print(
        f"the district dashboard page over {total:,} cases: its {len(periods[30])} requests at "
        f"once, gunicorn {args.workers} workers"
    )
    missed = False
    for days, loads in results.items():
        wall = [whole for whole, _each in loads]
        p95 = percentile(wall, 95) * 1000
        missed |= p95 > GOAL_MS
        print(f" last {days} days: p95 {p95:.0f} ms (goal ≤ {GOAL_MS} ms)")
        print(f"  {line('whole page', wall, width=15)}")
        for name in periods[days]:
            print(f"  {line(name, [each[name] for _whole, each in loads], width=15)}")
    print(f"  {load}")
    if missed:
        print("a goal was missed (see above)")


if __name__ == "__main__":
    main()
