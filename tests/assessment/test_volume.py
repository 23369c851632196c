"""Volume cannot buy a score (DESIGN §5, issue 12 item 1).

Cheap volume — a worker's own reports resolved on the spot and verified by whoever the system
picked in the same cell — never raises a score, whatever the baseline; cases someone
independent checked are counted and may. Properties run over the real indicator code and the
database (hypothesis), and the issue's scenario is replayed through the API.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.indicators import GRADES
from assessment.selectors import AssessmentScope, Filters, indicator_table

from ..cases.personas import photo
from .conftest import S, at, make_case

EVERYTHING = AssessmentScope(everything=True)
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# One baseline case: (kind, late, reworks, public, rating or None).
baseline_case = st.tuples(
    st.sampled_from(["closed", "overdue", "open"]),
    st.booleans(),
    st.integers(0, 2),
    st.booleans(),
    st.none() | st.integers(1, 5),
)
# One cheap case: resolved on the spot by its reporter, verified and closed by a worker of the
# same cell: (late, reworks).
cheap_case = st.tuples(st.booleans(), st.integers(0, 1))


def _cell_row(territory, period) -> dict:
    rows = indicator_table(
        level="cell", scope=EVERYTHING, filters=Filters(start=period[0], end=period[1])
    )
    return next(r for r in rows if r["id"] == territory.cell_a.pk)


def _baseline(territory, worker, period, cases) -> None:
    from assessment.models import Satisfaction

    day = period[0] + timedelta(days=1)
    for kind, late, reworks, public, rating in cases:
        fields = {
            "accepted_at": at(day, 9),
            "department": territory.department,
            "reporter": worker,
            "source": "resident" if public else "patrol",
            "late": late,
        }
        if kind == "closed":
            case = make_case(
                territory.cell_a, status=S.CLOSED, created=at(day, 8), closed_at=at(day, 15),
                reported_at=at(day, 14), rework_count=reworks, **fields,
            )  # fmt: skip
            if rating is not None:
                Satisfaction.objects.create(
                    case=case, score=rating, rated_at=at(day, 16), channel="link"
                )
        else:
            make_case(
                territory.cell_a, status=S.HANDLING, created=at(day, 8),
                due_at=at(day, 12), overdue=kind == "overdue", **fields,
            )  # fmt: skip


def _cheap(territory, worker, verifier, period, cases, *, cross_check: bool = False) -> None:
    day = period[0] + timedelta(days=2)
    for late, reworks in cases:
        make_case(
            territory.cell_a,
            status=S.CLOSED,
            created=at(day, 8),
            reported_at=at(day, 8),
            closed_at=at(day, 9),
            late=late,
            rework_count=reworks,
            reporter=worker,
            verifier=verifier,
            cross_check=cross_check,
        )


def _rank(grade: str | None) -> int:
    return len(GRADES) if grade is None else GRADES.index(grade)


@PROPERTY
@given(baseline=st.lists(baseline_case, max_size=14), cheap=st.lists(cheap_case, min_size=1))
def test_cheap_self_resolved_volume_never_raises_the_score(
    territory, worker_a, worker_a2, period, baseline, cheap
):
    with transaction.atomic():
        _baseline(territory, worker_a, period, baseline)
        before = _cell_row(territory, period)
        _cheap(territory, worker_a, worker_a2, period, cheap)
        after = _cell_row(territory, period)
        transaction.set_rollback(True)
    assert after["counts"]["self_resolved"] == before["counts"]["self_resolved"] + len(cheap)
    assert after["counts"]["filed"] == before["counts"]["filed"]
    if before["score"] is None:
        assert after["score"] is None
    else:
        assert after["score"] is not None and after["score"] <= before["score"]
        assert _rank(after["grade"]) >= _rank(before["grade"])


@PROPERTY
@given(baseline=st.lists(baseline_case, max_size=14), n=st.integers(1, 30))
def test_independently_checked_cases_are_counted(
    territory, worker_a, worker_b, period, baseline, n
):
    with transaction.atomic():
        _baseline(territory, worker_a, period, baseline)
        before = _cell_row(territory, period)
        _cheap(territory, worker_a, worker_b, period, [(False, 0)] * n, cross_check=True)
        after = _cell_row(territory, period)
        transaction.set_rollback(True)
    for name in ("filed", "closed", "closed_on_time", "self_resolved"):
        assert after["counts"][name] == before["counts"][name] + n, name


def test_a_cross_checked_on_time_case_may_raise_the_score(territory, worker_a, worker_b, period):
    _baseline(territory, worker_a, period, [("closed", True, 1, False, None)] * 4)
    _baseline(territory, worker_a, period, [("overdue", True, 0, False, None)] * 2)
    before = _cell_row(territory, period)
    _cheap(territory, worker_a, worker_b, period, [(False, 0)] * 10, cross_check=True)
    after = _cell_row(territory, period)
    assert after["score"] > before["score"]
    assert _rank(after["grade"]) < _rank(before["grade"])


def test_a_residents_rating_lets_a_self_resolved_case_count(territory, worker_a, worker_a2, period):
    from assessment.models import Satisfaction
    from cases.models import Case

    _cheap(territory, worker_a, worker_a2, period, [(False, 0)] * 5)
    assert _cell_row(territory, period)["counts"]["closed"] == 0
    day = period[0] + timedelta(days=4)
    for case in Case.objects.filter(cell=territory.cell_a):
        Satisfaction.objects.create(case=case, score=5, rated_at=at(day, 11), channel="phone")
    row = _cell_row(territory, period)
    assert (row["counts"]["closed"], row["counts"]["filed"], row["counts"]["rated"]) == (5, 5, 5)


def test_thirty_trivial_self_resolved_cases_through_the_api(
    territory, worker_a, worker_a2, street_staff, client_for
):
    """The issue's scenario: 30 trivial reports in one's own cell, each resolved on the spot
    and verified by whoever the system picked, leave the cell's and the street's score and
    grade where they were (they raised 97.0 to 100.0 before)."""
    today = timezone.localdate()
    period = (today - timedelta(days=6), today)
    baseline = [("closed", False, 0, False, None)] * 9 + [("closed", True, 1, True, None)]
    _baseline(territory, worker_a, period, baseline)
    staff = client_for(street_staff)

    def rows():
        params = {"start": period[0].isoformat(), "end": period[1].isoformat()}
        cell = staff.get("/api/v1/indicators/", {**params, "level": "cell"}).json()["results"]
        street = staff.get("/api/v1/indicators/", {**params, "level": "street"}).json()
        return next(r for r in cell if r["id"] == territory.cell_a.pk), street["results"][0]

    before = rows()
    worker, verifier = client_for(worker_a), client_for(worker_a2)
    for i in range(30):
        body = {"title": f"小广告 {i}", "description": "电线杆上的小广告", "category": "C0101",
                "lon": 116.405, "lat": 39.905}  # fmt: skip
        case = worker.post("/api/v1/cases/", body, format="json").json()
        url = f"/api/v1/cases/{case['id']}/"
        resolved = worker.post(
            f"{url}self_resolve/", {"note": "已清除", "photos": [photo()]}, format="multipart"
        )
        assert resolved.json()["verifier"] == "worker_a2", resolved.json()
        closed = verifier.post(
            f"{url}verify_pass/", {"note": "核查合格", "photos": [photo()]}, format="multipart"
        )
        assert closed.json()["status"] == "closed", closed.json()
    after = rows()
    for old, new in zip(before, after, strict=True):
        assert (new["score"], new["grade"]) == (old["score"], old["grade"])
        assert new["counts"]["self_resolved"] == old["counts"]["self_resolved"] + 30
        assert new["counts"]["filed"] == old["counts"]["filed"]
