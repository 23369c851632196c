"""Rolled-up sums are read once per roll-up: what the rollup tables hold for a period changes
only when a day is rolled up (nightly, or a backfill), so a dashboard reloaded all day sums
them once — and a day rolled up again is seen at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.rollups import roll_up_day, roll_up_days, roll_up_month
from assessment.selectors import AssessmentScope, Filters, indicator_table, rollup_generation

from .conftest import S, at, make_case

pytestmark = pytest.mark.django_db
EVERYTHING = AssessmentScope(everything=True)
ROLLUP_TABLES = ("assessment_cellrollup", "assessment_communityrollup")


def table(level: str, filters: Filters) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        rows = indicator_table(level=level, scope=EVERYTHING, filters=filters)
    read = [q["sql"] for q in queries if any(t in q["sql"] for t in ROLLUP_TABLES)]
    return {r["id"]: r for r in rows}, read


@pytest.mark.parametrize("level", ["cell", "community", "street"])
def test_a_rolled_period_is_summed_once_per_roll_up(dataset, period, level):
    roll_up_days(period[0] - timedelta(days=3), period[1])
    filters = Filters(start=period[0], end=period[1])

    first, first_read = table(level, filters)
    again, again_read = table(level, filters)

    assert first_read, "the first read sums the rollup rows"
    assert again_read == []
    assert again == first
    assert sum(r["counts"]["filed"] for r in first.values()) > 0


def test_a_day_rolled_up_again_is_seen_at_once(dataset, territory, worker_a, period):
    day = period[0] + timedelta(days=2)
    roll_up_days(period[0], period[1])
    filters = Filters(start=period[0], end=period[1])
    before, _read = table("cell", filters)

    make_case(
        territory.cell_a,
        status=S.ACCEPTED,
        created=at(day, 11),
        accepted_at=at(day, 12),
        reporter=worker_a,
    )
    roll_up_day(day)
    after, read = table("cell", filters)

    assert read, "a new roll-up is summed again"
    cell = territory.cell_a.pk
    assert after[cell]["counts"]["filed"] == before[cell]["counts"]["filed"] + 1


def test_a_months_refresh_changes_the_generation(dataset, period):
    """A backfill writes a month's days, then its month row in a transaction of its own: sums
    read in between must not outlive the refresh."""
    roll_up_days(period[0], period[1])
    before = rollup_generation()
    roll_up_month(period[0])
    assert rollup_generation() != before


def test_sums_the_cache_no_longer_holds_are_summed_again(dataset, period):
    """Each process keeps the sums it read, by a token the cache holds beside them: once the
    cache has lost them (evicted, cleared, rolled back) they are summed again, never taken
    from what a process kept."""
    roll_up_days(period[0] - timedelta(days=3), period[1])
    filters = Filters(start=period[0], end=period[1])
    first, _read = table("cell", filters)
    _again, again_read = table("cell", filters)
    cache.clear()
    after, after_read = table("cell", filters)

    assert again_read == []
    assert after_read, "summed again"
    assert after == first
