"""居民满意率 from the grid-service survey in the indicator table and the monthly trend."""

from __future__ import annotations

import pytest
from django.utils import timezone

from assessment.selectors import AssessmentScope, Filters, indicator_table, trend
from assessment.services import answer_survey
from cases.services import ReporterContact

pytestmark = pytest.mark.django_db
EVERYTHING = AssessmentScope(everything=True)


def _answer(cell, score: int, n: int) -> None:
    answer_survey(
        cell_code=cell.full_code, score=score, contact=ReporterContact(phone=f"139000000{n:02d}")
    )


def _row(level: str, unit_id: int, scope=EVERYTHING) -> dict:
    today = timezone.localdate()
    rows = indicator_table(level=level, scope=scope, filters=Filters(start=today, end=today))
    return next(r for r in rows if r["id"] == unit_id)


def test_the_survey_rate_per_cell_community_and_worker(cast, territory):
    for n, score in enumerate((5, 4, 2)):
        _answer(territory.cell_a, score, n)
    row = _row("cell", territory.cell_a.pk)
    assert (row["counts"]["survey_answers"], row["indicators"]["survey_rate"]) == (3, None)
    for n, score in enumerate((5, 1), start=3):
        _answer(territory.cell_a, score, n)
    for level, unit in (
        ("cell", territory.cell_a.pk),
        ("community", territory.community1.pk),
        ("street", territory.street1.pk),
        ("worker", cast.reporter.pk),
    ):
        row = _row(level, unit)
        assert (row["counts"]["survey_answers"], row["counts"]["survey_satisfied"]) == (5, 3)
        assert row["indicators"]["survey_rate"] == 0.6, level
    # It is shown beside the score, not in it: the cell has no cases, so no score.
    assert _row("cell", territory.cell_a.pk)["score"] is None
    assert _row("worker", cast.worker_b.pk)["counts"]["survey_answers"] == 0


def test_the_monthly_trend_carries_the_survey(cast, territory):
    for n, score in enumerate((5, 5, 4, 4, 3)):
        _answer(territory.cell_a, score, n)
    today = timezone.localdate()
    rows = trend(
        scope=EVERYTHING, filters=Filters(start=today.replace(day=1), end=today), bucket="month"
    )
    assert rows[-1]["counts"]["survey_answers"] == 5
    assert rows[-1]["indicators"]["survey_rate"] == 0.8


def test_another_streets_answers_are_out_of_scope(cast, territory):
    for n in range(5):
        _answer(territory.cell_x, 5, n)
    street1_only = AssessmentScope(streets=frozenset({territory.street1.pk}))
    today = timezone.localdate()
    rows = indicator_table(
        level="street", scope=street1_only, filters=Filters(start=today, end=today)
    )
    assert [r["counts"]["survey_answers"] for r in rows] == [0]
