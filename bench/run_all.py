"""Run every benchmark that needs no extra setup (make bench)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# open311_requests.py reads the district database (gridgov_bench) and skips, saying how to
# seed it, when that is absent.
for script in ("point_lookup.py", "bad_input.py", "open311_requests.py"):
    print(f"== {script}")
    subprocess.run([sys.executable, str(BENCH / script)], check=True)
print("(seed_district.py needs DATABASE_URL on PostgreSQL; make_run.sh needs port 8000 free)")
