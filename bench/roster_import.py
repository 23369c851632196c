"""Import of a 10,000-row roster (花名册) from Excel: time and peak memory (issue 15).

    python bench/roster_import.py [--rows 10000 --rounds 3]

A database of its own: a fresh SQLite file under a temporary folder, migrated here (or
``DATABASE_URL`` pointing at a PostgreSQL database of its own: its residents are deleted).
One community of 10 cells and a grid worker serving it; a roster of ``--rows`` residents,
three to a household. Each round times, in one run:

- **read**: openpyxl reading the file alone (the baseline: what any import must pay);
- **import**: ``residents.roster.import_roster`` into an empty roster (checks every row,
  then writes households, residents and tags in one transaction);
- **re-import**: the same file again (every row unchanged, nothing written).

Prints the samples, p50/p95 of each, the import's ratio to the read, and the peak memory of
one import (Python allocations by ``tracemalloc``, and the process's peak RSS).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta

from _setup import ROOT, django_setup

if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='roster-bench-')}/db.sqlite3"
os.environ.setdefault("DEBUG", "false")
subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
django_setup()

from openpyxl import Workbook, load_workbook  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from accounts.models import User  # noqa: E402
from grids.models import Assignment, Community, District, GridCell, Role, Street  # noqa: E402
from residents.models import Household, Resident  # noqa: E402
from residents.roster import HEADERS, Outcome, import_roster  # noqa: E402

BASE_LON, BASE_LAT, STEP = 116.40, 39.90, 0.01
TAGS = ["", "", "", "独居老人", "残疾人", "低保/困难户、残疾人", "儿童"]


def box(col: int, width: int = 1) -> dict:
    x0, x1 = BASE_LON + col * STEP, BASE_LON + (col + width) * STEP
    y0, y1 = BASE_LAT, BASE_LAT + STEP
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def territory() -> tuple[User, list[str]]:
    district, _ = District.objects.get_or_create(
        code="110105", defaults={"name": "朝阳区", "geometry": box(0, 10)}
    )
    street, _ = Street.objects.get_or_create(
        district=district, code="001", defaults={"name": "一街道", "geometry": box(0, 10)}
    )
    community, _ = Community.objects.get_or_create(
        street=street, code="001", defaults={"name": "一社区", "geometry": box(0, 10)}
    )
    cells = [
        GridCell.objects.get_or_create(
            community=community,
            code=f"{n + 1:03d}",
            defaults={"name": f"{n + 1}", "geometry": box(n)},
        )[0]
        for n in range(10)
    ]
    worker, _ = User.objects.get_or_create(username="roster_bench_worker")
    Assignment.objects.get_or_create(
        user=worker, role=Role.GRID_WORKER, scope="community", community=community
    )
    return worker, [c.full_code for c in cells]


def roster(rows: int, cells: list[str]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(HEADERS)
    for n in range(rows):
        born = date(1930, 1, 1) + timedelta(days=(n * 37) % 32000)
        body = f"110105{born:%Y%m%d}{n % 1000:03d}"
        sheet.append(
            [
                cells[n // 3 % len(cells)],
                f"幸福路{n // 3}号",
                f"居民{n}",
                "男" if n % 2 else "女",
                body + ric.calc_check_digit(body + "0"),
                f"139{n:08d}" if n % 4 else "",
                TAGS[n % len(TAGS)],
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_only(data: bytes) -> int:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _row in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return count


def empty_roster() -> None:
    Resident.objects.all().delete()
    Household.objects.all().delete()


def timed(func, *args):
    started = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - started, result


def p95(values: list[float]) -> float:
    return max(values) if len(values) < 20 else statistics.quantiles(values, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    worker, cells = territory()
    data = roster(args.rows, cells)
    print(f"roster: {args.rows} rows, {len(data) / 1e6:.2f} MB xlsx, {len(cells)} cells")
    samples: dict[str, list[float]] = {"read": [], "import": [], "re-import": []}
    peak_mb = 0.0
    for round_ in range(args.rounds):
        empty_roster()
        seconds, count = timed(read_only, data)
        samples["read"].append(seconds)
        assert count == args.rows + 1
        if round_ == 0:
            tracemalloc.start()
        seconds, report = timed(lambda: import_roster(by=worker, data=data))
        if round_ == 0:
            peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        else:
            samples["import"].append(seconds)
        assert report.written and report.count(Outcome.CREATED) == args.rows, report.counts
        seconds, again = timed(lambda: import_roster(by=worker, data=data))
        samples["re-import"].append(seconds)
        assert again.count(Outcome.UNCHANGED) == args.rows, again.counts
    if not samples["import"]:  # one round: its (traced, slower) import is all there is
        samples["import"].append(seconds)
    for name, values in samples.items():
        p50 = statistics.median(values)
        print(f"{name:>10}: n={len(values)}  p50 {p50:.2f} s  p95 {p95(values):.2f} s")
    ratio = statistics.median(samples["import"]) / statistics.median(samples["read"])
    print(f"import / read (baseline): {ratio:.1f}x")
    print(
        f"peak memory of one import: {peak_mb:.0f} MB (tracemalloc; the first round), "
        f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(f"residents now: {Resident.objects.count()}, households {Household.objects.count()}")


if __name__ == "__main__":
    main()
