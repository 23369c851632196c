"""Point → cell lookup among the 3,000 cells of the `district` demo layout (goal: the path
intake takes, ``grids.spatial.cell_at``, ≥ 50,000 lookups/s), against a vectorised shapely
baseline measured in the same run.

    python bench/point_lookup.py [--points 100000]

Builds the same cells `seed_demo --scale district` writes (in memory: no database needed)
and installs their index as the process's, then times, in one run:

- ``cell_at`` point by point, as intake calls it (lookup, and the cell with its community,
  street and district handed out);
- ``CellIndex.lookup_many`` over every point at once (what a bulk import would use);
- the baseline: ``shapely.covers`` over the array of all polygons, one point at a time
  (vectorised over the polygons, no index) — the strongest thing one writes without an index.

Per point timings give n and p50/p95/p99; all three must agree on every point checked.
"""

from __future__ import annotations

import argparse
import random
import time

from _setup import django_setup
from _stats import Load, line

django_setup()

import numpy as np  # noqa: E402
import shapely  # noqa: E402

from grids import spatial  # noqa: E402
from grids.demo import SCALES, plan_territory  # noqa: E402
from grids.spatial import PARENT_FIELDS, CellIndex, cell_at  # noqa: E402

GOAL_RATE = 50_000


def district_index() -> CellIndex:
    """The district layout's index with every cell's parents, ids given in plan order."""
    territory = plan_territory(SCALES["district"], random.Random(2020))
    ids: dict[int, int] = {}

    def pk(obj) -> int:
        return ids.setdefault(id(obj), len(ids) + 1)

    rows = []
    for cell in territory.cells:
        chain = (cell, cell.community, cell.community.street, cell.community.street.district)
        kept = [
            pk(obj)
            if name == "id"
            else pk(getattr(obj, name[:-3]))
            if name.endswith("_id")
            else getattr(obj, name)
            for obj, (_model, _prefix, names) in zip(chain, PARENT_FIELDS, strict=True)
            for name in names
        ]
        rows.append((pk(cell), cell.full_code, cell.geometry, *kept))
    return CellIndex(rows), territory.district


def timed(func, items) -> tuple[list, list[float], float]:
    """Each call's result and wall seconds, and the CPU seconds of them all: on a machine
    shared with other work the wall clock also counts time the bench was not running, so
    the rates are judged per CPU second (the wall rate is shown beside it)."""
    out, times, clock = [], [], time.perf_counter
    cpu = time.process_time()
    for item in items:
        started = clock()
        out.append(func(*item))
        times.append(clock() - started)
    return out, times, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--baseline-points", type=int, default=2_000)
    args = parser.parse_args()

    index, district = district_index()
    # Install it as the process's index, fresh for an hour: cell_at then runs as in a web
    # worker between two freshness checks.
    spatial._index, spatial._checked_at = index, time.monotonic() + 3600
    rng = np.random.default_rng(7)
    lons = rng.uniform(district.min_lon - 0.01, district.max_lon + 0.01, args.points)
    lats = rng.uniform(district.min_lat - 0.01, district.max_lat + 0.01, args.points)
    points = list(zip(lons.tolist(), lats.tolist(), strict=True))
    load = Load()

    cells, cell_times, cell_cpu = timed(cell_at, points)
    found = [None if c is None else c.pk for c in cells]
    started = time.perf_counter()
    many = index.lookup_many(lons, lats)
    many_s = time.perf_counter() - started

    polygons = index.geoms  # prepared, sorted by code: ties go to the lowest code, as cell_at

    def covers(lon: float, lat: float) -> int | None:
        hits = np.flatnonzero(shapely.covers(polygons, shapely.Point(lon, lat)))
        return int(index.ids[hits[0]]) if hits.size else None

    n = args.baseline_points
    baseline, base_times, base_cpu = timed(covers, points[:n])

    assert found[:n] == baseline, "cell_at and the baseline disagree"
    assert [(-1 if f is None else f) for f in found] == many.tolist(), "lookup_many differs"
    assert all(c is None or c.community.street.district.code for c in cells)
    rate, base_rate = len(points) / cell_cpu, n / base_cpu
    print(
        f"cells: {len(index)}; points: {len(points):,} ({sum(f is not None for f in found):,}"
        f" inside a cell); baseline on the first {n:,}"
    )
    print(line("cell_at (intake's path)", cell_times, width=28, unit="µs"))
    print(line("shapely.covers baseline", base_times, width=28, unit="µs"))
    verdict = "ok" if rate >= GOAL_RATE else "BELOW GOAL"
    print(
        f"cell_at: {rate:10,.0f} /CPU s (goal ≥ {GOAL_RATE:,}: {verdict}); "
        f"wall {len(points) / sum(cell_times):,.0f} /s"
    )
    print(
        f"baseline: {base_rate:9,.0f} /CPU s; wall {n / sum(base_times):,.0f} /s;  "
        f"lookup_many: {len(points) / many_s:,.0f} /s wall"
    )
    print(f"ratio cell_at / baseline (CPU): {rate / base_rate:.1f}×")
    print(load)


if __name__ == "__main__":
    main()
