"""Run every benchmark (``make bench``), one after the other, each in its own process.

Benches that write get a private PostgreSQL database of their own (``gridgov_bench_<name>``,
created when missing); benches that read the 2,000,000-case district read ``gridgov_bench``
and skip, printing the command that builds it, when it is not there. A bench that fails or
skips does not stop the others; the summary at the end says which did what.

    python bench/run_all.py [NAME ...]      (names without .py; default: all)

Not run here: ``drills.py`` (``make drills``, ~10 minutes of fault injection),
``seed_district.py`` (seeds the district itself, ~30 minutes) and ``make_run.sh`` (needs
port 8000).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _setup import DISTRICT_DB, SKIPPED, database_exists

BENCH = Path(__file__).resolve().parent
PG = "postgres://postgres@127.0.0.1:5432/"

# name → the database it needs: None (none, or its own SQLite), "private" (a PostgreSQL
# database it may write to), "district" (reads the seeded district; copies it if it writes).
BENCHES = {
    "point_lookup": None,
    "bad_input": None,
    "seed_small": None,
    "roster_import": None,
    "offline_report": None,
    "resident_intake": "private",
    "intake_http": "private",
    "sla_scan": "private",
    "ledgers": "private",
    "case_list": "district",
    "case_list_http": "district",
    "task_list": "district",
    "pages": "district",
    "public_pages": "district",
    "open311_requests": "district",
    "dashboard": "district",
    "dashboard_page": "district",
    "integrity": "district",
    "scale_curve": None,
}


# District benches that write read a copy of their own (see their docstrings).
DISTRICT_COPIES = {"dashboard": "gridgov_dash_bench", "dashboard_page": "gridgov_dash_bench"}


def private_database(name: str) -> str | None:
    """The URL of ``gridgov_bench_<name>``, created if missing; None without PostgreSQL."""
    db = f"gridgov_bench_{name}"
    exists = database_exists(db)
    if exists is None:
        return None
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    return PG + db


def main() -> None:
    names = sys.argv[1:] or list(BENCHES)
    outcome = {}
    for name in names:
        print(f"\n== {name}", flush=True)
        env = dict(os.environ)
        need = BENCHES[name]
        if need == "private":
            url = private_database(name)
            if url is None:
                print("skipped: no PostgreSQL at 127.0.0.1:5432 (psql/createdb failed)")
                outcome[name] = "skipped"
                continue
            env["DATABASE_URL"] = url
        elif need == "district" and name in DISTRICT_COPIES:
            env.setdefault("DATABASE_URL", PG + DISTRICT_COPIES[name])
        elif need == "district" and name != "integrity":  # integrity makes its own copy
            env.setdefault("DATABASE_URL", DISTRICT_DB)
        run = subprocess.run([sys.executable, str(BENCH / f"{name}.py")], env=env)
        outcome[name] = {0: "ok", SKIPPED: "skipped"}.get(run.returncode, f"exit {run.returncode}")
    print("\n== summary")
    for name, result in outcome.items():
        print(f"{name:<18} {result}")


if __name__ == "__main__":
    main()
