"""Each rule's running precision from reviewers' decisions (issue 19, item 4): confirmed ÷
(confirmed + dismissed), all time and the last 90 days, with a 95 % Wilson interval, "too few
reviews" below 20, the share still open and the commonest dismissal reasons — in the
viewer's scope, in one aggregate query, and in plain words on the review page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrity.models import DismissReason, FlagStatus, IntegrityFlag, Rule
from integrity.precision import Share, wilson
from integrity.selectors import rule_precision

from .conftest import plain_case

pytestmark = pytest.mark.django_db
CONFIRMED, DISMISSED, OPEN = FlagStatus.CONFIRMED, FlagStatus.DISMISSED, FlagStatus.OPEN


def decided(cast, rule, status, *, reviewer, reason="", days_ago=1, cell=None, subject=None):
    """A flag on a new case of ``cell`` (default A), reviewed ``days_ago`` unless open."""
    case = plain_case(cell or cast.territory.cell_a, reporter=cast.reporter)
    reviewed = status != OPEN
    return IntegrityFlag.objects.create(
        rule=rule,
        case=case,
        subject=subject or cast.reporter,
        status=status,
        dismiss_reason=reason,
        reviewer=reviewer if reviewed else None,
        review_note="复核" if reviewed else "",
        reviewed_at=timezone.now() - timedelta(days=days_ago) if reviewed else None,
    )


@pytest.fixture
def known_set(cast, staff2, district_admin):
    """Street 1 (cell A): near-duplicates 18 confirmed (6 of them 200 days ago), 4 dismissed
    (2 "recurring", 1 "same event" and 1 without a reason 200 days ago), 3 open; reused photos
    3 confirmed, 1 dismissed ("other"); one open too-fast verification; and a confirmed
    near-duplicate about the street's own staff. Street 2 (cell X): 5 dismissed."""
    by = district_admin
    for i in range(18):
        decided(cast, Rule.NEAR_DUPLICATE, CONFIRMED, reviewer=by, days_ago=200 if i < 6 else 3)
    for reason, days in (("recurring", 5), ("recurring", 10), ("same_event", 20), ("", 200)):
        decided(cast, Rule.NEAR_DUPLICATE, DISMISSED, reviewer=by, reason=reason, days_ago=days)
    for _ in range(3):
        decided(cast, Rule.NEAR_DUPLICATE, OPEN, reviewer=by)
        decided(cast, Rule.REUSED_PHOTO, CONFIRMED, reviewer=by)
    decided(cast, Rule.REUSED_PHOTO, DISMISSED, reviewer=by, reason="other")
    decided(cast, Rule.VERIFICATION_TOO_FAST, OPEN, reviewer=by)
    decided(cast, Rule.NEAR_DUPLICATE, CONFIRMED, reviewer=by, subject=cast.staff)
    for _ in range(5):
        decided(
            cast,
            Rule.NEAR_DUPLICATE,
            DISMISSED,
            reviewer=by,
            cell=cast.territory.cell_x,
            reason="recurring",
        )


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    # Newcombe (1998), Stat Med 17:857, table I, method 3 (Wilson score, no correction).
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_bounds_match_published_values(successes, n, low, high):
    lower, upper = wilson(successes, n)
    assert (round(lower, 4), round(upper, 4)) == (low, high)


def test_no_reviews_no_interval_and_the_words_follow_the_tenths():
    assert wilson(0, 0) is None and Share(0, 0).value is None
    assert Share(9, 19).in_words() == "too few reviews (19 so far)"
    assert Share(129, 143).in_words() == "right 9 times in 10 over 143 reviews"
    assert Share(2, 20).in_words() == "right 1 time in 10 over 20 reviews"
    assert Share(98, 100).in_words() == "right more than 9 times in 10 over 100 reviews"
    assert Share(1, 40).in_words() == "right less than once in 10 over 40 reviews"
    assert Share(0, 40).in_words() == "right 0 times in 10 over 40 reviews"


def test_precision_of_a_small_known_set(known_set, cast):
    records = {r.rule: r for r in rule_precision(cast.staff)}
    assert list(records) == [
        Rule.NEAR_DUPLICATE,
        Rule.REUSED_PHOTO,
        Rule.VERIFICATION_TOO_FAST,
    ]
    dup = records[Rule.NEAR_DUPLICATE]
    assert (dup.all_time, dup.recent, dup.open, dup.total) == (Share(18, 22), Share(12, 15), 3, 25)
    low, high = dup.all_time.interval
    assert (round(low, 4), round(high, 4)) == (0.6148, 0.9269)
    assert (dup.all_time.percent, dup.all_time.low_percent, dup.all_time.high_percent) == (
        82,
        61,
        93,
    )
    assert dup.all_time.in_words() == "right 8 times in 10 over 22 reviews"
    assert dup.recent.in_words() == "too few reviews (15 so far)"
    assert dup.open_percent == 12
    assert dup.reasons == [
        (DismissReason.RECURRING.label, 2),
        (DismissReason.SAME_EVENT.label, 1),
    ]
    assert dup.verdict == "unsure"
    photo = records[Rule.REUSED_PHOTO]
    assert (photo.all_time, photo.verdict) == (Share(3, 4), "too_few")
    assert photo.reasons == [(DismissReason.OTHER.label, 1)]
    fast = records[Rule.VERIFICATION_TOO_FAST]
    assert (fast.all_time, fast.open, fast.open_share, fast.all_time.interval) == (
        Share(0, 0),
        1,
        1.0,
        None,
    )


def test_each_viewer_sees_the_precision_of_their_own_scope(known_set, cast, staff2, district_admin):
    (theirs,) = rule_precision(staff2)
    assert (theirs.rule, theirs.all_time, theirs.open) == (Rule.NEAR_DUPLICATE, Share(0, 5), 0)
    district = {r.rule: r for r in rule_precision(district_admin)}
    # Both streets, and the flag about street 1's staff (hidden from them).
    assert district[Rule.NEAR_DUPLICATE].all_time == Share(19, 28)
    assert rule_precision(cast.reporter) == []


def test_trust_verdicts_follow_the_interval(cast, district_admin):
    by = district_admin
    for _ in range(40):
        decided(cast, Rule.REUSED_PHOTO, CONFIRMED, reviewer=by)
        decided(cast, Rule.REPORT_BURST, DISMISSED, reviewer=by, reason="real_surge")
    decided(cast, Rule.REPORT_BURST, CONFIRMED, reviewer=by)
    records = {r.rule: r for r in rule_precision(cast.staff)}
    assert records[Rule.REUSED_PHOTO].verdict == "trusted"
    assert records[Rule.REPORT_BURST].verdict == "wrong"
    assert records[Rule.REPORT_BURST].reasons == [(DismissReason.REAL_SURGE.label, 40)]


def test_one_aggregate_query_whatever_the_rules_and_flags(cast, district_admin):
    by = district_admin
    decided(cast, Rule.NEAR_DUPLICATE, CONFIRMED, reviewer=by)
    decided(cast, Rule.NEAR_DUPLICATE, OPEN, reviewer=by)
    with CaptureQueriesContext(connection) as few:
        assert len(rule_precision(cast.staff)) == 1
    for rule in Rule.values:
        for status, reason in (
            (CONFIRMED, ""),
            (OPEN, ""),
            *((DISMISSED, r) for r in DismissReason.values),
        ):
            for _ in range(3):
                decided(cast, rule, status, reviewer=by, reason=reason, days_ago=len(reason) * 9)
    with CaptureQueriesContext(connection) as many:
        assert len(rule_precision(cast.staff)) == len(Rule.values)
    # The reviewer's assignments (the scope), then one GROUP BY over the flags.
    assert len(few) == len(many) == 2
    assert "GROUP BY" in many.captured_queries[-1]["sql"]


def test_the_page_says_which_rules_can_be_trusted_in_plain_words(known_set, cast, client):
    client.force_login(cast.staff)
    with CaptureQueriesContext(connection) as before:
        html = client.get("/integrity/").content.decode()
    section = html[html.index('data-testid="rule-precision"') :]
    assert "right 8 times in 10 over 22 reviews" in section
    assert "82 % (61–93 %)" in section
    assert "too few reviews (4 so far)" in section
    assert "3 / 25 (12 %)" in section
    assert f"{DismissReason.RECURRING.label} 2" in section
    for _ in range(10):  # more decided flags of more rules: the page asks no more
        decided(cast, Rule.SELF_RESOLVE_UNCHECKED, CONFIRMED, reviewer=cast.handler)
        decided(cast, Rule.REPORT_BURST, DISMISSED, reviewer=cast.handler, reason="real_surge")
    with CaptureQueriesContext(connection) as after:
        assert client.get("/integrity/").status_code == 200
    assert len(after) == len(before)
