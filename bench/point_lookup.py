"""Point → cell lookup among the 3,000 cells of the `district` demo layout.

    python bench/point_lookup.py [--points 200000] [--brute-points 2000]

Builds the same cells `seed_demo --scale district` writes (in memory: no database needed),
then times, in one run: single lookups through the STRtree index (the path `cell_at` takes),
the vectorised lookup, and a brute-force loop over every (prepared) polygon. Prints
lookups/s and the index's ratio against brute force; checks both agree on every point.
"""

from __future__ import annotations

import argparse
import random
import time

from _setup import django_setup

django_setup()

import numpy as np  # noqa: E402
import shapely  # noqa: E402

from grids.demo import SCALES, plan_territory  # noqa: E402
from grids.spatial import CellIndex  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--brute-points", type=int, default=2_000)
    args = parser.parse_args()

    territory = plan_territory(SCALES["district"], random.Random(2020))
    rows = [(i + 1, cell.full_code, cell.geometry) for i, cell in enumerate(territory.cells)]
    started = time.perf_counter()
    index = CellIndex(rows)
    build_s = time.perf_counter() - started
    d = territory.district
    rng = np.random.default_rng(7)
    lons = rng.uniform(d.min_lon - 0.01, d.max_lon + 0.01, args.points)  # some fall outside
    lats = rng.uniform(d.min_lat - 0.01, d.max_lat + 0.01, args.points)

    started = time.perf_counter()
    single = [index.lookup(lon, lat) for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True)]
    single_rate = args.points / (time.perf_counter() - started)

    started = time.perf_counter()
    many = index.lookup_many(lons, lats)
    many_rate = args.points / (time.perf_counter() - started)

    polygons = list(index.geoms)  # already prepared, sorted by code: a fair, strong baseline
    n = args.brute_points
    started = time.perf_counter()
    brute = []
    for lon, lat in zip(lons[:n].tolist(), lats[:n].tolist(), strict=True):
        point = shapely.Point(lon, lat)
        brute.append(
            next((int(index.ids[i]) for i, poly in enumerate(polygons) if poly.covers(point)), None)
        )
    brute_rate = n / (time.perf_counter() - started)

    assert single[:n] == brute, "index and brute force disagree"
    assert [(-1 if s is None else s) for s in single] == many.tolist(), "vectorised differs"
    inside = sum(s is not None for s in single)
    print(f"cells: {len(index)}  (index built in {build_s * 1000:.0f} ms)")
    print(f"points: {args.points:,} ({inside:,} inside a cell); brute force on {n:,}")
    print(f"single lookups (cell_at path): {single_rate:12,.0f} /s")
    print(f"vectorised lookup_many:        {many_rate:12,.0f} /s")
    print(f"brute force over all polygons: {brute_rate:12,.0f} /s")
    print(f"ratio single/brute: {single_rate / brute_rate:,.0f}x   (goal: >= 50,000 /s and >= 20x)")


if __name__ == "__main__":
    main()
