"""SLA scan of 100,000 open cases (goal: ≤ 10 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gridgov_sla_bench python bench/sla_scan.py

Uses its own database (migrated and seeded with the small demo if empty) and writes 100,000
open cases, twice: once with 2 % of them due (a busy minute: a third each past the reminder
point, the deadline and twice the limit), once with every one due (the worst case: 100,000
cases marked and ~133,000 occasions recorded on them in one scan; the people concerned get
one digest each per kind). Times a full `scan_deadlines` run and a second run, which must
find nothing to send (``--repeat`` runs each scenario again for more samples). The bench
cases are deleted afterwards.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from datetime import timedelta

from _setup import ROOT, django_setup
from _stats import Load, line

django_setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.demo import delete_cases  # noqa: E402
from cases.demo_history import CASE_FIELDS, field_defaults, insert_rows  # noqa: E402
from cases.models import Case, Category  # noqa: E402
from grids.models import Assignment, Department, GridCell, Role  # noqa: E402
from workflows.models import Notification, SlaNotice  # noqa: E402
from workflows.sla import scan_deadlines  # noqa: E402

MARK = "SLA-BENCH"


def prepare() -> None:
    """This bench's own database, migrated and seeded with the small demo if empty."""
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it gets bench rows).")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--if-empty", "--no-progress"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def make_cases(n: int, due_share: float) -> None:
    rng = random.Random(1)
    now = timezone.now()
    cells = list(GridCell.objects.select_related("community"))
    categories = list(Category.objects.subcategories().active())
    handler = Assignment.objects.filter(role=Role.HANDLER).select_related("department").first()
    department = handler.department if handler else Department.objects.first()
    reporter = {a.cell_id: a.user_id for a in Assignment.objects.filter(role=Role.GRID_WORKER)}
    first = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    defaults = field_defaults(Case)
    rows = []
    for i in range(n):
        cell = cells[i % len(cells)]
        # Due: a third each past the reminder point, the deadline, twice the limit. Not due:
        # started an hour ago, nothing to do for hours.
        due = rng.random() < due_share
        started = now - timedelta(hours=rng.choice([9, 12, 30]) if due else 1)
        row = {
            **defaults,
            "id": first + i,
            "number": f"{MARK}-{i:07d}",
            "title": MARK,
            "description": MARK,
            "address": "",
            "category_id": rng.choice(categories).pk,
            "priority": "normal",
            "lon": cell.min_lon,
            "lat": cell.min_lat,
            "cell_id": cell.pk,
            "street_id": cell.community.street_id,
            "reporter_id": reporter.get(cell.pk),
            "status": "handling",
            "department_id": department.pk,
            "created_at": started,
            "step_started_at": started,
            "due_at": started + timedelta(hours=10),
            "remind_at": started + timedelta(hours=8),
            "version": 4,
        }
        rows.append([row[name] for name in CASE_FIELDS])
    for start in range(0, n, 20_000):
        insert_rows(Case, CASE_FIELDS, rows[start : start + 20_000])


def scenario(n: int, due_share: float) -> tuple[float, object, float, object, int, int]:
    delete_cases(Case.objects.filter(number__startswith=MARK))
    make_cases(n, due_share)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    notes_before = Notification.objects.count()
    try:
        started = time.perf_counter()
        first = scan_deadlines()
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = scan_deadlines()
        second_s = time.perf_counter() - started
        sent = Notification.objects.count() - notes_before
        recorded = SlaNotice.objects.filter(case__number__startswith=MARK).count()
    finally:
        Notification.objects.filter(dedupe_key__startswith="sla:").delete()
        delete_cases(Case.objects.filter(number__startswith=MARK))
    return first_s, first, second_s, second, sent, recorded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each scenario")
    args = parser.parse_args()
    prepare()
    load = Load()
    for label, share in (("a minute's work: 2% due", 0.02), ("worst case: every one due", 1.0)):
        firsts, seconds = [], []
        for _run in range(args.repeat):
            first_s, first, second_s, second, sent, recorded = scenario(args.cases, share)
            firsts.append(first_s)
            seconds.append(second_s)
        print(f"{args.cases:,} open cases, {label}")
        print(f"  {line('first scan', firsts, width=12)}  ({first})")
        print(f"  → {recorded:,} occasions recorded on cases, {sent:,} digest notifications")
        print(f"  {line('second scan', seconds, width=12)}  (nothing left to send: {second})")
        print(f"  ratio of the slowest first scan to the 10 s budget: {max(firsts) / 10:.2f}")
    print(load)


if __name__ == "__main__":
    main()
