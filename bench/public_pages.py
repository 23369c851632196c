"""The resident portal: what ``/public/report/`` weighs on a phone's first load (goal ≤ 150 KB
gzip, photos aside) and the server time of the public pages and JSON (p95, query counts).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench python bench/public_pages.py

Over the district demo (2,000,000 cases) when ``DATABASE_URL`` points at it; over whatever
database it is given otherwise (it needs a district with cells). Requests go through Django's
test client in this process (server time, no network), DEBUG off as in production.
"""

from __future__ import annotations

import os
import time

from _setup import django_setup
from _stats import Load, line

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
django_setup()

from _weight import page_weight  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from shapely.geometry import shape  # noqa: E402

from cases.models import Case  # noqa: E402
from grids.models import GridCell  # noqa: E402

ROUNDS = 40
GOAL_KB = 150


def main() -> None:
    cell = GridCell.objects.order_by("full_code").first()
    point = shape(cell.geometry).representative_point()
    where = f"/public/where.json?lon={point.x:.6f}&lat={point.y:.6f}"
    code = Case.objects.filter(tracking_code__isnull=False).values_list("tracking_code", flat=True)
    pages = ["/public/", "/public/report/", "/public/map/", "/public/map.json", where]
    if code.first():
        pages.append(f"/public/track/{code.first()}/")
    client = Client()
    load = Load()
    print(f"{Case.objects.count():,} cases in the database; {ROUNDS} requests per page")
    for url in pages:
        client.get(url)  # warm: templates, the cell index, caches
        times = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(f"{line(url[:48], [ms / 1000 for ms in times], width=48)}  {len(queries):2d} queries")
    # The report page as a phone loads it: the page, its assets, the district's outline and
    # the answer for the phone's position.
    raw, compressed = page_weight(client, "/public/report/", ["/public/area.json", where])
    print(
        f"/public/report/ first load {compressed / 1024:6.1f} KB gzip "
        f"({raw / 1024:6.1f} KB uncompressed); goal ≤ {GOAL_KB} KB, "
        f"ratio {compressed / 1024 / GOAL_KB:.2f}"
    )
    print(load)


if __name__ == "__main__":
    main()
