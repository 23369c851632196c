"""Make a bench script runnable as `python bench/<name>.py` from the repository root."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def database_exists(name: str) -> bool | None:
    """Whether the local PostgreSQL (127.0.0.1, user postgres) has database ``name``; None
    when it cannot be asked."""
    import subprocess

    query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
    found = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", query],
        capture_output=True,
        text=True,
    )
    return None if found.returncode != 0 else found.stdout.strip() == "1"


SKIPPED = 3  # a bench's exit status when what it needs is not there
DISTRICT_DB = "postgres://postgres@127.0.0.1:5432/gridgov_bench"
SEED_DISTRICT = (
    f"createdb -h 127.0.0.1 -U postgres gridgov_bench && DATABASE_URL={DISTRICT_DB} "
    ".venv/bin/python manage.py migrate && DATABASE_URL="
    f"{DISTRICT_DB} .venv/bin/python manage.py seed_demo --scale district"
)


def district_or_skip(min_cases: int = 1_000_000) -> int:
    """The number of cases in the configured database (Django set up); exits, saying how to
    build the district database, when it is unreachable or holds fewer than ``min_cases``
    (``make bench`` goes on with the next bench)."""
    from django.db import OperationalError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_case")
            (total,) = cursor.fetchone()
    except OperationalError as exc:
        print(
            f"skipped: no district database ({exc.__class__.__name__}); build it: {SEED_DISTRICT}"
        )
        sys.exit(SKIPPED)
    if total < min_cases:
        print(f"skipped: {total:,} cases (< {min_cases:,}); build the district: {SEED_DISTRICT}")
        sys.exit(SKIPPED)
    return total
