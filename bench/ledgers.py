"""A street's month of ledgers (台账): the four ledgers of one street (30 communities) for
one month, built (``care.ledgers.build_ledgers``) and written as the Excel workbook, as
the street's staff ask for it: time per run (p50/p95 over the samples), rows, and peak
memory (Python allocations, tracemalloc; and the process's peak RSS).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> python bench/ledgers.py [--seed]

It migrates the database; ``--seed`` (or a database with no care tasks yet, as ``make bench``
gives it) first writes a street-size dataset into that (empty) database: one street of the
district demo's shape scaled to 30 communities × 10 cells and 50,000 residents (a twentieth
of the district seed), 100,000 cases over three years (written in bulk as the district seed
does), and for the last full month a visit to a third of the households and the care plans
of every elderly resident living alone (weekly calls by their cell's worker, a monthly home
visit, a weekly volunteer visit with hours) — the tasks done, a few missed. The baseline
measured in the same run is the same street-month's print page rendered as HTML. Times are
taken without tracemalloc (it slowed the workbook's openpyxl calls about sixfold, which is how
an earlier version of this bench reported a minute); peak memory comes from one more run.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import date, datetime, timedelta
from decimal import Decimal

from _setup import django_setup
from _stats import Load

django_setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.utils import timezone  # noqa: E402

from care.ledgers import build_ledgers, workbook  # noqa: E402
from care.models import CarePlan, CareTask, Volunteer  # noqa: E402
from grids.models import Assignment, Role, Street  # noqa: E402

SAMPLES = 5


def last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def seed() -> None:
    from cases.demo_history import create_case_history
    from grids import demo
    from residents.demo import create_residents
    from residents.models import Household, Resident, Visit

    rng = random.Random(15)
    scale = demo.Scale(
        streets=(1, 1),
        communities=(6, 5),
        cells=(2, 5),
        residents=50_000,
        cases=0,
        history=100_000,
    )
    started = time.monotonic()
    with transaction.atomic():
        territory = demo.create_territory(scale, rng)
        demo.create_people(territory, demo.create_departments(territory.district), rng)
    create_residents(territory.cells, total=scale.residents, rng=rng, progress=False)
    create_case_history(territory.cells, total=scale.history, rng=rng, progress=False)
    User = get_user_model()
    workers = {
        a.cell_id: a.user_id
        for a in Assignment.objects.filter(role=Role.GRID_WORKER, cell__isnull=False)
    }
    volunteer = User.objects.get(username="demo_volunteer")
    Volunteer.objects.get_or_create(user=volunteer)
    month = last_month()
    days = (
        month.replace(month=month.month % 12 + 1, year=month.year + (month.month == 12)) - month
    ).days
    households = list(Household.objects.values_list("id", "cell_id"))
    visits = [
        Visit(
            household_id=pk,
            worker_id=workers[cell],
            visited_at=timezone.make_aware(
                datetime.combine(month + timedelta(days=rng.randrange(days)), datetime.min.time())
                + timedelta(hours=rng.randint(8, 17))
            ),
            note=rng.choice(["一切正常", "身体健康", "需要帮助", "家中无人"]),
        )
        for pk, cell in households
        if rng.random() < 0.33
    ]
    Visit.objects.bulk_create(visits, batch_size=5000)
    creator = User.objects.get(username="demo_worker")
    elders = list(Resident.objects.filter(tags__code="elderly_alone").values_list("id", "cell_id"))
    tag_id = (
        Resident.tags.through.objects.filter(tag__code="elderly_alone")
        .values_list("tag_id", flat=True)
        .first()
    )
    plans, tasks = [], []
    for resident, cell in elders:
        for kind, responsible, frequency in (
            ("call", "worker", "weekly"),
            ("visit", "worker", "monthly"),
            ("company", "volunteer", "weekly"),
        ):
            plans.append(
                CarePlan(
                    resident_id=resident,
                    tag_id=tag_id,
                    kind=kind,
                    responsible=responsible,
                    worker_id=workers[cell] if responsible == "worker" else None,
                    frequency=frequency,
                    weekday=rng.randrange(7) if frequency == "weekly" else None,
                    day_of_month=31 if frequency == "monthly" else None,
                    starts_on=month,
                    generated_through=month + timedelta(days=days - 1),
                    created_by=creator,
                )
            )
    CarePlan.objects.bulk_create(plans, batch_size=5000)
    cell_of = dict(elders)
    for plan in plans:
        for day in range(days):
            on = month + timedelta(days=day)
            if (plan.frequency == "weekly" and on.weekday() != plan.weekday) or (
                plan.frequency == "monthly" and day != days - 1
            ):
                continue
            missed = rng.random() < 0.03
            volunteer_task = plan.responsible == "volunteer"
            tasks.append(
                CareTask(
                    plan_id=plan.pk,
                    cell_id=cell_of[plan.resident_id],
                    scheduled_on=on,
                    due_on=on,
                    status="open" if missed else "done",
                    assignee_id=volunteer.pk if volunteer_task else plan.worker_id,
                    done_by_id=None
                    if missed
                    else (volunteer.pk if volunteer_task else plan.worker_id),
                    done_at=None
                    if missed
                    else timezone.make_aware(
                        datetime.combine(on, datetime.min.time()) + timedelta(hours=10)
                    ),
                    note="" if missed else "电话问候，一切正常",
                    hours=Decimal("1.5") if volunteer_task and not missed else None,
                )
            )
    CareTask.objects.bulk_create(tasks, batch_size=5000)
    print(
        f"seeded: 1 street, 30 communities, {len(territory.cells)} cells, "
        f"{scale.residents:,} residents, {scale.history:,} cases, {len(visits):,} visits, "
        f"{len(plans):,} care plans, {len(tasks):,} care tasks "
        f"in {time.monotonic() - started:.0f} s"
    )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", action="store_true", help="write the street dataset first")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    if args.seed or not CareTask.objects.exists():
        seed()
    street = Street.objects.order_by("id").first()
    staff = Assignment.objects.filter(role=Role.STREET_STAFF, street=street).first()
    if street is None or staff is None or not CareTask.objects.exists():
        sys.exit("No street with care data: run with --seed on an empty database.")
    user, month = staff.user, last_month()

    def excel() -> tuple[int, int]:
        built = build_ledgers(user, month=month, street_id=street.pk)
        return sum(len(ledger.rows) for ledger in built.ledgers), len(workbook(built))

    def page() -> int:
        built = build_ledgers(user, month=month, street_id=street.pk)
        return len(render_to_string("care/ledgers.html", {"set": built, "query": ""}))

    excel()  # warm: imports, the calendar, connection
    load, times, page_times = Load(), [], []
    for _ in range(SAMPLES):  # timed untraced: tracemalloc slows allocation-heavy code 3-6x
        started = time.perf_counter()
        rows, size = excel()
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        page()
        page_times.append(time.perf_counter() - started)
    tracemalloc.start()  # memory from one more run of its own
    excel()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"street {street.name}, month {month:%Y-%m}: {rows:,} ledger rows, xlsx {size:,} bytes")
    print(
        f"excel: n={SAMPLES} p50={statistics.median(times):.2f}s p95={p95(times):.2f}s; "
        f"peak Python memory {peak / 2**20:.0f} MiB, process peak RSS {rss:.0f} MiB"
    )
    print(
        f"print page (baseline, same run): n={SAMPLES} p50={statistics.median(page_times):.2f}s "
        f"p95={p95(page_times):.2f}s; excel/page ratio "
        f"{statistics.median(times) / statistics.median(page_times):.2f}"
    )
    print(load)


if __name__ == "__main__":
    main()
