"""Bursts without a fixed window (issue 19): a worker padding a few reports a day over two
weeks is flagged against their own rate; a storm that sends every worker out is not."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from integrity.rules import Window
from integrity.rules.bursts import report_bursts

from ..factories import UserFactory
from .conftest import plain_case

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY0 = datetime(2025, 1, 1, tzinfo=SHANGHAI)


def usual(cell, worker, *, days: range, every: int = 2, hour: int = 10) -> None:
    """One report every ``every`` days: an ordinary worker's pace."""
    for day in days:
        if day % every == 0:
            plain_case(cell, reporter=worker, at=DAY0 + timedelta(days=day, hours=hour))


def scan(first_day: int, last_day: int) -> list:
    return report_bursts(
        Window.of(since=DAY0 + timedelta(days=first_day), until=DAY0 + timedelta(days=last_day))
    )


def test_a_burst_spread_over_twelve_days_is_flagged(cast):
    cell = cast.territory.cell_a
    usual(cell, cast.reporter, days=range(0, 130))
    usual(cell, cast.worker_a2, days=range(0, 130), every=1, hour=9)
    # Days 100–111 (mid-month, nowhere near a period's close): two extra reports a day.
    padded = [
        plain_case(cell, reporter=cast.reporter, at=DAY0 + timedelta(days=day, hours=h))
        for day in range(100, 112)
        for h in (14, 16)
    ]

    drafts = scan(90, 130)

    assert [d.subject_id for d in drafts] == [cast.reporter.pk]
    evidence = drafts[0].evidence
    assert 8 <= evidence["days"] <= 21
    assert evidence["reports_in_window"] >= 20
    assert evidence["p_adjusted"] <= 0.001
    assert {c.pk for c in padded} <= {drafts[0].case_id, *drafts[0].related_case_ids}


def test_a_storm_that_sends_every_worker_out_is_not_a_burst(cast):
    cell = cast.territory.cell_a
    workers = [cast.reporter, cast.worker_a2] + [UserFactory() for _ in range(10)]
    for worker in workers:
        usual(cell, worker, days=range(0, 130), every=1)
    # Days 110–112: a storm; every worker files four more a day.
    for worker in workers:
        for day in range(110, 113):
            for h in (12, 13, 15, 17):
                plain_case(cell, reporter=worker, at=DAY0 + timedelta(days=day, hours=h))

    assert scan(90, 130) == []
