"""Bursts before a period closes (突击上报, issue 19): the last days of a month are the days
an assessment invites padding, so they are tested as a hypothesis of their own, allowing for
the few closes looked at, beside the scan over every stretch (which allows for hundreds of
stretches and misses a handful of extra reports on a quiet worker). The same reports in the
middle of the month are no burst."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrity.models import IntegrityFlag, Rule

from .conftest import plain_case
from .test_spread_bursts import DAY0, scan, usual

pytestmark = pytest.mark.django_db

MARCH_1, APRIL_1 = 59, 90  # days from 1 January 2025


def extra(cell, worker, *, first_day: int) -> list:
    """Seven extra reports over three days from ``first_day``."""
    return [
        plain_case(
            cell, reporter=worker, at=DAY0 + timedelta(days=first_day + i // 3, hours=13 + i % 3)
        )
        for i in range(7)
    ]


def test_seven_extra_reports_in_the_last_three_days_of_a_month_are_flagged(cast):
    cell = cast.territory.cell_a
    usual(cell, cast.reporter, days=range(0, 120))  # one every other day
    padded = extra(cell, cast.reporter, first_day=APRIL_1 - 3)  # 29–31 March

    drafts = scan(MARCH_1, APRIL_1)

    assert [d.subject_id for d in drafts] == [cast.reporter.pk]
    evidence = drafts[0].evidence
    assert evidence["tested_as"] == "period_close"
    assert evidence["period"] == "2025-03"
    assert evidence["days"] == 3
    assert evidence["reports_in_window"] == 8  # one usual, seven extra
    # one close in a month's scan, not the 651 stretches ending in it
    assert evidence["stretches_tested"] == 1
    assert evidence["p_adjusted"] <= 0.001
    assert {c.pk for c in padded} <= {drafts[0].case_id, *drafts[0].related_case_ids}


def test_the_same_reports_mid_month_are_weighed_against_every_stretch_and_pass(cast):
    cell = cast.territory.cell_a
    usual(cell, cast.reporter, days=range(0, 120))
    extra(cell, cast.reporter, first_day=MARCH_1 + 11)  # 12–14 March

    assert scan(MARCH_1, APRIL_1) == []


def test_a_close_is_tested_once_its_last_day_is_in_the_scan(cast):
    cell = cast.territory.cell_a
    usual(cell, cast.reporter, days=range(0, 120))
    extra(cell, cast.reporter, first_day=APRIL_1 - 3)

    # a daily scan of 29–30 March has not seen the close end; one of 31 March–1 April has
    assert scan(APRIL_1 - 3, APRIL_1 - 1) == []
    drafts = scan(APRIL_1 - 1, APRIL_1 + 1)
    assert [d.evidence["tested_as"] for d in drafts] == ["period_close"]


def test_a_spread_burst_is_still_tested_as_any_stretch(cast):
    cell = cast.territory.cell_a
    usual(cell, cast.reporter, days=range(0, 130))
    for day in range(100, 112):
        for hour in (14, 16):
            plain_case(cell, reporter=cast.reporter, at=DAY0 + timedelta(days=day, hours=hour))

    drafts = scan(90, 130)

    assert [d.evidence["tested_as"] for d in drafts] == ["any_stretch"]


def test_the_review_page_says_a_close_was_tested_on_its_own(client, cast):
    cell = cast.territory.cell_a
    usual(cell, cast.reporter, days=range(0, 120))
    extra(cell, cast.reporter, first_day=APRIL_1 - 3)
    (draft,) = scan(MARCH_1, APRIL_1)
    IntegrityFlag.objects.create(
        rule=Rule.REPORT_BURST,
        case_id=draft.case_id,
        subject_id=draft.subject_id,
        evidence=draft.evidence,
    )
    client.force_login(cast.staff)

    html = client.get("/integrity/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "单独检验，考虑到检查了 1 个期末" in html
    assert "个时间段" not in html
