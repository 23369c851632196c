"""Each indicator of DESIGN §5 on a small hand-built dataset, the answers worked out below."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from assessment.indicators import (
    FALLBACK_SCHEME,
    empty_counts,
    grade,
    indicator_row,
    map_row,
    score,
)
from assessment.models import GradingScheme, Satisfaction
from assessment.rollups import roll_up_days
from assessment.selectors import AssessmentScope, Filters, indicator_table
from grids.models import Assignment, CommunityType

from .conftest import make_case

EVERYTHING = AssessmentScope(everything=True)


# The answers for cell A over D1…D7:
#   filed (立案): c1 c2 c3 c4 c5 c9 = 6             (c8 filed before, c7 rejected, c10 after;
#                                                    c6, resolved on the spot and not yet
#                                                    checked by anyone independent, is not)
#   resolved on the spot (自行处置数): c6 = 1        (its own figure, outside the rates)
#   filed by the public: c2 = 1                     → 监督举报率 1/6 = 0.1667
#   closed: c1 c2 c3 c8 = 4; on time: c1 c3 c8 = 3  (c2 had an overdue notice)
#   overdue open, due by the end of D7: c4 c5 = 2   (c5 fell due before D1: still owed)
#   应结案数 = 4 + 2 = 6                             → 结案率 4/6 = 0.6667, 按期结案率 3/6 = 0.5
#   reworks 0+1+2+0 = 3 of 4+3 = 7 verifications    → 返工率 3/7 = 0.4286
#   rated in the period: c1(5) c2(2) c3(4) = 3, satisfied (≥4): 2 → 满意率 none: 3 ratings are
#                                                     fewer than 5, too few to say (shown "—")
#   handling: 24 + 48 + 48 + 120 = 240 h over 4     → 平均处置时长 60 h
#   backlog at the end of D7: c4 c5 c6 c9 = 4       (c10 came later)
#   patrol categories (C0101): filed 6, c2 a resident's report → 漏报率 1/6 = 0.1667
EXPECTED_COUNTS = {
    "filed": 6,
    "filed_public": 1,
    "self_resolved": 1,
    "closed": 4,
    "closed_on_time": 3,
    "reworks": 3,
    "handling_seconds": 240 * 3600,
    "rated": 3,
    "satisfied": 2,
    "overdue_open": 2,
    "due": 6,
    "backlog": 4,
    "patrol_filed": 6,
    "missed": 1,
}
EXPECTED_INDICATORS = {
    "closing_rate": 0.6667,
    "on_time_rate": 0.5,
    "rework_rate": 0.4286,
    "satisfaction_rate": None,
    "supervision_rate": 0.1667,
    "missed_rate": 0.1667,
    "avg_handling_hours": 60.0,
}
# Standard scheme (targets .98/.95/.95/.95/.90, weights 25/25/15/20/15), satisfaction left out
# (no rate: its weight too):
#   (25·0.6667/0.98 + 25·0.5/0.95 + 15·0.5714/0.95 + 15·0.8333/0.90) / 80
#   = (17.008 + 13.158 + 9.022 + 13.888) / 80 = 66.35 → 66.3, grade C (60 ≤ 66.3 < 75)
# Gentler scheme for fringe communities (targets .92/.85/.90/.85/.75):
#   (25·0.6667/0.92 + 25·0.5/0.85 + 15·0.5714/0.90 + 15·min(1, 0.8333/0.75)) / 80
#   = (18.117 + 14.706 + 9.523 + 15) / 80 = 71.68 → 71.7, grade C too (B needs 75)
STANDARD_SCORE, GENTLE_SCORE = 66.3, 71.7


def _row(rows, unit_id):
    return next(r for r in rows if r["id"] == unit_id)


def _cell_a(territory, period):
    rows = indicator_table(
        level="cell", scope=EVERYTHING, filters=Filters(start=period[0], end=period[1])
    )
    return _row(rows, territory.cell_a.pk)


def test_each_indicator_of_a_cell_from_the_case_table(dataset, territory, period):
    row = _cell_a(territory, period)
    assert {k: row["counts"][k] for k in EXPECTED_COUNTS} == EXPECTED_COUNTS
    assert {k: row["indicators"][k] for k in EXPECTED_INDICATORS} == EXPECTED_INDICATORS
    assert (row["score"], row["grade"]) == (STANDARD_SCORE, "C")


def test_the_same_indicators_from_the_rollups(dataset, territory, period):
    roll_up_days(period[0] - timedelta(days=10), period[1] + timedelta(days=10))
    row = _cell_a(territory, period)
    assert {k: row["counts"][k] for k in EXPECTED_COUNTS} == EXPECTED_COUNTS
    assert (row["score"], row["grade"]) == (STANDARD_SCORE, "C")


def test_higher_levels_sum_their_cells(dataset, territory, period, worker_a):
    filters = Filters(start=period[0], end=period[1])
    # The worker served cell A all through the period (漏报 is theirs only while they did).
    Assignment.objects.filter(user=worker_a).update(valid_from=period[0] - timedelta(days=30))
    for level, unit in [
        ("community", territory.community1.pk),
        ("street", territory.street1.pk),
        ("district", territory.district.pk),
        ("department", territory.department.pk),
        ("worker", worker_a.pk),
    ]:
        row = _row(indicator_table(level=level, scope=EVERYTHING, filters=filters), unit)
        counts = {k: row["counts"][k] for k in EXPECTED_COUNTS}
        if level == "department":  # c6 and c7 never reached a department
            assert counts == {**EXPECTED_COUNTS, "self_resolved": 0, "backlog": 3}, level
        else:
            assert counts == EXPECTED_COUNTS, level


def test_grade_follows_the_community_type(dataset, territory, period):
    assert _cell_a(territory, period)["grade"] == "C"
    territory.community1.type = CommunityType.FRINGE
    territory.community1.save(update_fields=["type"])
    row = _cell_a(territory, period)
    assert (row["score"], row["grade"]) == (GENTLE_SCORE, "C")
    # and the admin can move the bar: lower the fringe scheme's B threshold below the score
    GradingScheme.objects.filter(community_type=CommunityType.FRINGE).update(grade_b=70)
    assert _cell_a(territory, period)["grade"] == "B"
    assert _cell_a(territory, period)["score"] != STANDARD_SCORE


def test_a_unit_with_no_cases_has_no_rates_and_no_grade(territory, period):
    row = _cell_a(territory, period)
    assert row["indicators"]["closing_rate"] is None
    assert (row["score"], row["grade"]) == (None, None)


def test_more_cases_of_the_same_kind_in_a_cell_do_not_change_its_score(
    dataset, territory, period, worker_a
):
    # Cell B gets every case of cell A three times over: three times the volume, same mix.
    from cases.models import Case

    for case in Case.objects.filter(cell=territory.cell_a):
        for _copy in range(3):
            copy = make_case(
                territory.cell_b,
                status=case.status,
                created=case.created_at,
                accepted_at=case.accepted_at,
                closed_at=case.closed_at,
                reported_at=case.reported_at,
                due_at=case.due_at,
                overdue=case.overdue,
                rework_count=case.rework_count,
                source=case.source,
                step_started_at=case.step_started_at,
                reporter=worker_a,
                late=case.sla_notices.exists(),
            )
            rating = Satisfaction.objects.filter(case=case).first()
            if rating:
                Satisfaction.objects.create(
                    case=copy, score=rating.score, rated_at=rating.rated_at, channel="link"
                )
    rows = indicator_table(
        level="cell", scope=EVERYTHING, filters=Filters(start=period[0], end=period[1])
    )
    a, b = _row(rows, territory.cell_a.pk), _row(rows, territory.cell_b.pk)
    assert b["counts"]["filed"] == 3 * a["counts"]["filed"]
    # The same rates, but B's nine ratings make a 满意率 (A's three are too few): that is the
    # only figure volume brings in — residents' ratings, not the workers' cases — and it is
    # the only difference between the scores.
    assert b["indicators"] == {**a["indicators"], "satisfaction_rate": 0.6667}
    assert a["indicators"]["satisfaction_rate"] is None
    assert b["score"] == score(b["indicators"], FALLBACK_SCHEME)
    assert b["score"] == score({**a["indicators"], "satisfaction_rate": 0.6667}, FALLBACK_SCHEME)


def test_grade_thresholds():
    assert [grade(v, FALLBACK_SCHEME) for v in (100, 90, 89.9, 75, 60, 59.9, 40, 39.9, 0)] == [
        "A",
        "A",
        "B",
        "B",
        "C",
        "D",
        "D",
        "E",
        "E",
    ]
    assert score({k: None for k in EXPECTED_INDICATORS}, FALLBACK_SCHEME) is None


def test_a_map_row_is_scored_anew_when_the_scheme_changes():
    """The map's rows are kept per counts and scheme (``map_row``): a scheme edited between
    two loads — same name, other numbers — grades the same counts by its own numbers."""
    counts = {**empty_counts(), "closed": 8, "closed_on_time": 8, "overdue_open": 2}
    stricter = replace(FALLBACK_SCHEME, thresholds=(99, 95, 92, 90))
    assert stricter.name == FALLBACK_SCHEME.name
    assert map_row(counts, FALLBACK_SCHEME)["score"] == 86.9  # 结案率, 按期 0.8; 返工 0
    assert map_row(counts, FALLBACK_SCHEME)["grade"] == "B"
    assert map_row(counts, stricter)["grade"] == "E"
    assert map_row(counts, replace(FALLBACK_SCHEME))["grade"] == "B"  # equal numbers: equal
    assert map_row(counts, FALLBACK_SCHEME)["score"] == score(
        indicator_row(counts, FALLBACK_SCHEME)["indicators"], FALLBACK_SCHEME
    )
