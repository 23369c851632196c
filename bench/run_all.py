"""Run every benchmark that needs no extra setup (make bench)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent

for script in ("point_lookup.py", "bad_input.py"):
    print(f"== {script}")
    subprocess.run([sys.executable, str(BENCH / script)], check=True)
print("(seed_district.py needs DATABASE_URL on PostgreSQL; make_run.sh needs port 8000 free)")
