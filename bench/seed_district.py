"""Time and peak memory of `seed_demo --scale district` (20 streets, 300 communities,
3,000 cells, 1,000,000 residents, 2,000,000 cases of history).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_bench python bench/seed_district.py

Runs the command in a child process (with --reset, so it can be repeated) and reads the
child's peak resident memory from the kernel, and the machine's load meanwhile (other work on
it slows the seed). Goal (issue 17): ≤ 15 minutes and ≤ 2 GB on PostgreSQL.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _stats import Load

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the goal is stated on PostgreSQL).")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True
    )
    load, started = Load(), time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "seed_demo",
            "--scale",
            "district",
            "--reset",
            "--no-progress",
        ],
        cwd=ROOT,
        check=True,
    )
    elapsed = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"seed_demo --scale district: {elapsed:.0f} s ({elapsed / 900:.2f} of the 15-minute "
        f"budget), peak memory {peak_mb:,.0f} MB ({peak_mb / 2048:.2f} of the 2 GB budget)"
    )
    print(load)
    check = subprocess.run(
        [sys.executable, "manage.py", "check_coverage"], cwd=ROOT, capture_output=True, text=True
    )
    print("check_coverage:", (check.stdout.strip().splitlines() or ["?"])[-1])


if __name__ == "__main__":
    main()
