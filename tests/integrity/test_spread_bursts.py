"""Bursts without a fixed window (issue 19): a worker padding a few reports a day over two
weeks is flagged against their own rate; a storm that sends every worker out is not; a
burst already reviewed is not asked again when a later scan finds it from another report."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from integrity.models import FlagStatus, IntegrityFlag, Rule
from integrity.rules import Window
from integrity.rules.bursts import report_bursts
from integrity.services import dismiss_flag, run_rules

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


def padding(cell, worker, *, days: range) -> list:
    """Two extra reports a day, mid-month (nowhere near a period's close)."""
    return [
        plain_case(cell, reporter=worker, at=DAY0 + timedelta(days=day, hours=h))
        for day in days
        for h in (14, 16)
    ]


def scan(first_day: int, last_day: int) -> list:
    return report_bursts(
        Window.of(since=DAY0 + timedelta(days=first_day), until=DAY0 + timedelta(days=last_day))
    )


def test_a_burst_spread_over_twelve_days_is_flagged(cast):
    cell = cast.territory.cell_a
    usual(cell, cast.reporter, days=range(0, 130))
    usual(cell, cast.worker_a2, days=range(0, 130), every=1, hour=9)
    padded = padding(cell, cast.reporter, days=range(100, 112))

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


# --- a burst already answered ---------------------------------------------------------------


def store(first_day: int, last_day: int) -> int:
    """Scan and store as the beat task does; how many burst flags were new."""
    report = run_rules(
        since=DAY0 + timedelta(days=first_day),
        until=DAY0 + timedelta(days=last_day),
        rules=[Rule.REPORT_BURST],
    )
    return report[Rule.REPORT_BURST]["new"]


def test_a_dismissed_burst_found_again_from_another_first_report_is_not_raised_again(cast):
    cell = cast.territory.cell_a
    usual(cell, cast.reporter, days=range(0, 130))
    usual(cell, cast.worker_a2, days=range(0, 130), every=1, hour=9)
    padding(cell, cast.reporter, days=range(100, 112))
    assert store(105, 125) == 1
    flag = IntegrityFlag.objects.get()
    dismiss_flag(flag_id=flag.pk, by=cast.staff, note="汛期加密巡查", reason="real_surge")

    # Slid past the burst's first days: its earliest stretches end before the window.
    later = scan(122, 130)
    assert later and later[0].case_id != flag.case_id

    assert store(122, 130) == 0
    assert not IntegrityFlag.objects.filter(status=FlagStatus.OPEN).exists()


def test_a_later_burst_of_the_same_worker_is_raised(cast):
    cell = cast.territory.cell_a
    usual(cell, cast.reporter, days=range(0, 190))
    usual(cell, cast.worker_a2, days=range(0, 190), every=1, hour=9)
    padding(cell, cast.reporter, days=range(100, 112))
    assert store(105, 125) == 1
    dismiss_flag(flag_id=IntegrityFlag.objects.get().pk, by=cast.staff, note="汛期加密巡查")
    padding(cell, cast.reporter, days=range(160, 172))

    assert store(165, 185) == 1
    flag = IntegrityFlag.objects.get(status=FlagStatus.OPEN)
    assert flag.subject == cast.reporter
    assert flag.evidence["window_start"] >= (DAY0 + timedelta(days=150)).isoformat()
