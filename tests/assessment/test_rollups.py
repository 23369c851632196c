"""Daily rollups: a day's rows equal the live count, reruns replace, months sum their days,
and a period read from rollups plus today's live part equals one read all live."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q, Sum
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from assessment import compiled, tasks
from assessment.indicators import COUNT_FIELDS
from assessment.models import CellRollup, DepartmentRollup, RolledDay, Satisfaction, Span
from assessment.rollups import case_counts, day_start, roll_up_day, roll_up_days
from assessment.selectors import AssessmentScope, Filters, indicator_table

from .conftest import S, at, make_case

EVERYTHING = AssessmentScope(everything=True)


def _rows(model, day, key):
    return {
        key(row): {name: getattr(row, name) for name in COUNT_FIELDS}
        for row in model.objects.filter(span=Span.DAY, start=day)
    }


def test_a_days_rollup_equals_the_live_count(dataset, territory, period):
    nonzero_days = 0
    day = period[0] - timedelta(days=2)
    while day <= period[1] + timedelta(days=3):
        roll_up_day(day)
        live = case_counts(
            day_start(day),
            day_start(day + timedelta(days=1)),
            keys={"cell": "cell_id", "department": "department_id", "street": "street_id"},
        )
        by_cell: dict = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
        by_department: dict = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
        for (cell, department, street), counts in live.items():
            for name, value in counts.items():
                by_cell[cell][name] += value
                if department:
                    by_department[(department, street)][name] += value
        assert _rows(CellRollup, day, lambda r: r.cell_id) == dict(by_cell)
        assert _rows(DepartmentRollup, day, lambda r: (r.department_id, r.street_id)) == dict(
            by_department
        )
        nonzero_days += bool(by_cell)
        day += timedelta(days=1)
    assert nonzero_days >= 6  # the dataset touches most days of the period


def test_a_days_counts_in_three_queries_equal_a_query_per_pass(
    dataset, period, django_assert_num_queries
):
    """Within one local day (today, on every dashboard request) the passes over the case
    table share one query: the counts equal those of a query per pass (what a window of
    more than a day runs), day for day."""
    keys = {"cell": "cell_id", "department": "department_id"}
    first, last = period[0] - timedelta(days=2), period[1] + timedelta(days=3)
    per_pass = case_counts(
        day_start(first), day_start(last + timedelta(days=1)), keys=keys, by_day=True
    )
    one_by_one: dict = {}
    day = first
    while day <= last:
        with django_assert_num_queries(3):  # the passes, the rating-checked closes, ratings
            one_by_one |= case_counts(
                day_start(day), day_start(day + timedelta(days=1)), keys=keys, by_day=True
            )
        if day == first:
            built = compiled._compiled.cache_info().misses
        day += timedelta(days=1)
    assert one_by_one == per_pass
    # The three queries were built on the first day only; each later day bound its instants.
    assert compiled._compiled.cache_info().misses == built
    assert len({day for day, *_key in per_pass}) >= 6


def test_a_rerun_replaces_the_days_rows(dataset, territory, period):
    day = period[0] + timedelta(days=2)  # D3: c2 closed, c5 filed, c1 rated
    roll_up_day(day)
    first = _rows(CellRollup, day, lambda r: r.cell_id)
    roll_up_day(day)
    assert _rows(CellRollup, day, lambda r: r.cell_id) == first
    assert CellRollup.objects.filter(span=Span.DAY, start=day).count() == 1
    # a late correction: c2's rating moves onto D3 — the rerun counts it, once
    Satisfaction.objects.filter(case=dataset["c2"]).update(rated_at=at(day, 16))
    roll_up_day(day)
    again = _rows(CellRollup, day, lambda r: r.cell_id)[territory.cell_a.pk]
    assert (again["rated"], again["satisfied"]) == (first[territory.cell_a.pk]["rated"] + 1, 1)


def test_month_rows_are_the_sums_of_their_days(dataset, period):
    roll_up_days(period[0] - timedelta(days=40), period[1] + timedelta(days=5))
    months = CellRollup.objects.filter(span=Span.MONTH)
    assert months.exists()
    for month in months:
        days = CellRollup.objects.filter(
            span=Span.DAY,
            cell_id=month.cell_id,
            start__gte=month.start,
            start__lt=(month.start + timedelta(days=32)).replace(day=1),
        ).aggregate(**{name: Sum(name) for name in COUNT_FIELDS})
        assert {name: getattr(month, name) for name in COUNT_FIELDS} == {
            name: days[name] or 0 for name in COUNT_FIELDS
        }


def test_rolled_days_plus_a_live_today_equal_all_live(territory, worker_a):
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    now = timezone.now()
    cell, kw = territory.cell_a, {"reporter": worker_a, "department": territory.department}
    make_case(
        cell, status=S.CLOSED, created=at(yesterday, 8), accepted_at=at(yesterday, 9),
        closed_at=at(yesterday, 15), **kw,
    )  # fmt: skip
    make_case(
        cell, status=S.CLOSED, created=at(yesterday, 8), accepted_at=at(yesterday, 9),
        closed_at=now - timedelta(seconds=5), late=True, **kw,
    )  # fmt: skip
    make_case(cell, status=S.HANDLING, created=now - timedelta(seconds=9),
              accepted_at=now - timedelta(seconds=8), **kw)  # fmt: skip
    filters = Filters(start=yesterday, end=today)

    def table():
        return {
            r["id"]: r for r in indicator_table(level="cell", scope=EVERYTHING, filters=filters)
        }

    all_live = table()
    roll_up_day(yesterday)
    assert RolledDay.objects.filter(day=yesterday).exists()
    mixed = table()
    assert mixed == all_live
    assert mixed[cell.pk]["counts"]["filed"] == 3
    assert mixed[cell.pk]["counts"]["closed_on_time"] == 1


def test_the_nightly_task_is_scheduled_and_idempotent(dataset):
    task = PeriodicTask.objects.get(task="assessment.roll_up_recent")
    assert task.enabled and task.crontab is not None
    days = tasks.roll_up_recent.run()
    assert len(days) == 2
    count = CellRollup.objects.count()
    tasks.roll_up_recent.run()
    assert CellRollup.objects.count() == count
    assert RolledDay.objects.count() == 2


def test_backfill_command(dataset, period):
    call_command("rollup_days", since=period[0], until=period[1])
    assert RolledDay.objects.count() == 7
    assert CellRollup.objects.filter(span=Span.DAY).aggregate(n=Sum("filed"))["n"] == 6
    with pytest.raises(CommandError):
        call_command("rollup_days", since=period[0], until=timezone.localdate())


def test_a_partial_month_is_read_from_its_month_row(dataset, territory, period):
    """Rolled up to D4 only: the period from the 1st to D4 reads D4's month row (the sum of
    its days so far) — and agrees with the case table."""
    from unittest import mock

    from assessment import selectors
    from assessment.selectors import span_q

    d4 = period[0] + timedelta(days=3)
    first = d4.replace(day=1)
    roll_up_days(first - timedelta(days=3), d4)
    assert span_q(first, d4, last_rolled=d4) == Q(span=Span.MONTH, start__in=[first])
    assert span_q(first, d4, last_rolled=None) == Q(span=Span.DAY, start__range=(first, d4))
    filters = Filters(start=first, end=d4)
    for level in ("cell", "community", "street", "department"):
        rolled = indicator_table(level=level, scope=EVERYTHING, filters=filters)
        with mock.patch.object(selectors, "last_rolled_day", return_value=None):
            live = indicator_table(level=level, scope=EVERYTHING, filters=filters)
        assert rolled == live, level
    (row,) = [r for r in rolled if r["id"] == territory.department.pk]
    closed = [
        c
        for c in dataset.values()
        if c.closed_at and first <= timezone.localdate(c.closed_at) <= d4
    ]
    assert row["counts"]["closed"] == len(closed) >= 1  # c3 closed on D4 at least
