"""Per-person 漏报率 and the accepted-only 监督举报率 (issue 12 item 3).

漏报 of a grid worker: public reports (resident, Open311, hotline) accepted about things in the
patrol categories (部件 C, 事件 E), in the worker's cells, on the days the worker served there,
that no worker's report merged into them had come before.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from assessment.rollups import roll_up_days
from assessment.selectors import AssessmentScope, Filters, indicator_table
from cases.models import Category
from grids.models import Assignment, Role
from tests.factories import assigned_user

from .conftest import S, at, make_case

EVERYTHING = AssessmentScope(everything=True)


@pytest.fixture
def served(territory, worker_a, period):
    """worker_old served cell A until D2; worker_a from D3 on."""
    old = assigned_user(Role.GRID_WORKER, "cell", territory.cell_a, "worker_old")
    d = {i: period[0] + timedelta(days=i - 1) for i in range(1, 8)}
    Assignment.objects.filter(user=old).update(valid_from=d[1] - timedelta(days=60), valid_to=d[2])
    Assignment.objects.filter(user=worker_a).update(valid_from=d[3])
    return old, d


def _public(cell, day, **extra):
    fields = {"source": "resident", "status": S.ACCEPTED, "accepted_at": at(day, 9)}
    return make_case(cell, created=at(day, 8), **{**fields, **extra})


@pytest.fixture
def reports(territory, worker_a, served):
    old, d = served
    cell = territory.cell_a
    _public(cell, d[1])  # missed by worker_old (D1)
    _public(cell, d[4])  # missed by worker_a (D4)
    _public(cell, d[4], source="hotline")  # missed by worker_a (D4)
    _public(cell, d[5], category=Category.objects.get(code="S0101"))  # a service request
    _public(cell, d[5], status=S.REJECTED, accepted_at=None)  # not accepted
    found_first = _public(cell, d[6])  # worker_a had reported it first; merged into it
    make_case(cell, status=S.REJECTED, created=at(d[6], 7), reporter=worker_a, source="patrol",
              duplicate_of=found_first)  # fmt: skip
    make_case(cell, status=S.ACCEPTED, created=at(d[6], 7), accepted_at=at(d[6], 9),
              reporter=worker_a, source="patrol")  # fmt: skip
    return old


def _rows(level, period):
    rows = indicator_table(
        level=level, scope=EVERYTHING, filters=Filters(start=period[0], end=period[1])
    )
    return {r["id"]: r for r in rows}


@pytest.mark.parametrize("rolled", [False, True])
def test_missed_reports_are_the_workers_on_the_days_they_served(
    reports, worker_a, territory, period, rolled
):
    if rolled:
        roll_up_days(period[0], period[1])
    workers = _rows("worker", period)
    # worker_a from D3: two public reports missed on D4; patrol-category cases filed while
    # they served: those two, the one they had found first, and their own report = 4.
    assert workers[worker_a.pk]["fractions"]["missed_rate"] == [2, 4]
    # worker_old until D2: the D1 report, of one.
    assert workers[reports.pk]["fractions"]["missed_rate"] == [1, 1]
    # The cell answers for all of it: 3 missed of 5 filed in the patrol categories.
    cell = _rows("cell", period)[territory.cell_a.pk]
    assert cell["fractions"]["missed_rate"] == [3, 5]
    assert cell["indicators"]["missed_rate"] == 0.6


def test_supervision_counts_accepted_public_reports_only(reports, territory, period):
    cell = _rows("cell", period)[territory.cell_a.pk]
    # Filed: five public reports accepted (the service request among them), the worker's own.
    # The rejected report and the worker's merged duplicate are not filed.
    assert cell["fractions"]["supervision_rate"] == [5, 6]
