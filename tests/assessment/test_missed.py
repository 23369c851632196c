"""Per-person 漏报率 and the accepted-only 监督举报率 (issue 12 item 3).

漏报 of a grid worker: public reports (resident, Open311, hotline) accepted about things in the
patrol categories (部件 C, 事件 E), in the worker's cells, on the days the worker served there,
that no worker's report merged into them had come before.
"""

from __future__ import annotations

import pytest

from assessment.rollups import roll_up_days
from assessment.selectors import AssessmentScope, Filters, indicator_table

EVERYTHING = AssessmentScope(everything=True)


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
