"""Visit rules: a GPS fix outside the household's cell (beyond its accuracy and a margin), and
many visits logged minutes apart — flagged for review like the case rules, once, in scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrity.models import FlagStatus, IntegrityFlag, Rule
from integrity.services import dismiss_flag, run_rules
from residents.models import Visit
from residents.visits import Fix, record_visit

from ..cases.personas import POINT_A, POINT_B
from ..factories import HouseholdFactory

pytestmark = pytest.mark.django_db

# Cells are 0.01° wide (about 850 m here): 0.0052° east of A's centre is ~17 m past its edge.
JUST_OUTSIDE_A = (POINT_A[0] + 0.0052, POINT_A[1])


@pytest.fixture
def home(cast):
    return HouseholdFactory(cell=cast.territory.cell_a)


def visit_at(cast, home, point, accuracy=10.0) -> Visit:
    return record_visit(
        household_id=home.pk,
        by=cast.reporter,
        note="走访",
        fix=Fix(lon=point[0], lat=point[1], accuracy_m=accuracy, fixed_at=timezone.now()),
    )


def scan(*rules: str) -> dict:
    return run_rules(since=timezone.now() - timedelta(days=1), rules=rules)


def test_a_fix_in_another_cell_is_flagged_once(cast, home):
    away = visit_at(cast, home, POINT_B)
    visit_at(cast, home, POINT_A)  # at home: fine
    record_visit(household_id=home.pk, by=cast.reporter)  # no fix: not judged
    assert away.fix_cell == cast.territory.cell_b
    assert scan(Rule.VISIT_OUTSIDE_CELL)[Rule.VISIT_OUTSIDE_CELL] == {
        "found": 1,
        "new": 1,
        "seconds": pytest.approx(0, abs=60),
    }
    flag = IntegrityFlag.objects.get()
    assert flag.visit == away and flag.case is None and flag.subject == cast.reporter
    assert flag.evidence["household_cell"] == cast.territory.cell_a.full_code
    assert flag.evidence["fix_cell"] == cast.territory.cell_b.full_code
    assert 400 < flag.evidence["distance_m"] < 450  # from B's centre to A's edge
    assert scan(Rule.VISIT_OUTSIDE_CELL)[Rule.VISIT_OUTSIDE_CELL]["new"] == 0


def test_a_fix_just_past_the_edge_within_its_accuracy_is_not_flagged(cast, home):
    visit_at(cast, home, JUST_OUTSIDE_A, accuracy=30.0)
    scan(Rule.VISIT_OUTSIDE_CELL)
    assert not IntegrityFlag.objects.exists()


def test_visits_minutes_apart_are_flagged_as_one_run(cast, home):
    start = timezone.now() - timedelta(hours=2)
    others = HouseholdFactory.create_batch(5, cell=cast.territory.cell_a)
    visits = [
        Visit.objects.create(
            household=h, worker=cast.reporter, visited_at=start + timedelta(minutes=2 * i)
        )
        for i, h in enumerate(others[:4])
    ]
    # Half an hour later, one more: a visit of its own, not part of the run.
    Visit.objects.create(
        household=others[4], worker=cast.reporter, visited_at=start + timedelta(minutes=40)
    )
    # Another worker at the same times is another person's day.
    Visit.objects.create(household=home, worker=cast.worker_a2, visited_at=start)
    scan(Rule.VISIT_RUN)
    flag = IntegrityFlag.objects.get(rule=Rule.VISIT_RUN)
    assert flag.visit == visits[0]
    assert flag.evidence["visits"] == 4 and flag.evidence["minutes"] == 6.0


def test_visits_at_a_walking_pace_are_not_a_run(cast):
    start = timezone.now() - timedelta(hours=2)
    for i, h in enumerate(HouseholdFactory.create_batch(3, cell=cast.territory.cell_a)):
        Visit.objects.create(
            household=h, worker=cast.reporter, visited_at=start + timedelta(minutes=2 * i)
        )
    for i, h in enumerate(HouseholdFactory.create_batch(4, cell=cast.territory.cell_a)):
        Visit.objects.create(
            household=h, worker=cast.reporter, visited_at=start + timedelta(minutes=60 + 10 * i)
        )
    scan(Rule.VISIT_RUN)
    assert not IntegrityFlag.objects.exists()


def test_visit_flags_are_reviewed_in_the_households_street_only(client, cast, home, staff2):
    visit_at(cast, home, POINT_B)
    scan(Rule.VISIT_OUTSIDE_CELL)
    flag = IntegrityFlag.objects.get()
    client.force_login(cast.staff)
    page = client.get("/integrity/").content.decode()
    assert f'id="flag-{flag.pk}"' in page and "m outside the household" in page
    client.force_login(staff2)  # street 2
    assert f'id="flag-{flag.pk}"' not in client.get("/integrity/").content.decode()
    response = client.post(f"/integrity/{flag.pk}/dismiss/", {"note": "在楼道里"})
    assert response.status_code == 404


def run_of(cast, start, count: int = 5) -> list[Visit]:
    """``count`` visits by worker_a, two minutes apart from ``start``."""
    return [
        Visit.objects.create(
            household=h, worker=cast.reporter, visited_at=start + timedelta(minutes=2 * i)
        )
        for i, h in enumerate(HouseholdFactory.create_batch(count, cell=cast.territory.cell_a))
    ]


def runs_since(since) -> int:
    """Scan for runs from ``since``; how many run flags were new."""
    return run_rules(since=since, rules=[Rule.VISIT_RUN])[Rule.VISIT_RUN]["new"]


def test_a_dismissed_run_found_again_from_a_later_visit_is_not_raised_again(cast):
    start = timezone.now() - timedelta(hours=3)
    visits = run_of(cast, start)
    assert runs_since(start) == 1
    flag = IntegrityFlag.objects.get(rule=Rule.VISIT_RUN)
    assert flag.visit == visits[0]
    dismiss_flag(flag_id=flag.pk, by=cast.staff, note="同一楼道集中走访")

    # The window now starts after the first visit: the rest is still a run of four.
    assert runs_since(visits[1].visited_at) == 0
    assert not IntegrityFlag.objects.filter(status=FlagStatus.OPEN).exists()


def test_a_later_run_of_the_same_worker_is_raised(cast):
    start = timezone.now() - timedelta(hours=3)
    run_of(cast, start)
    assert runs_since(start) == 1
    later = run_of(cast, start + timedelta(hours=1))
    assert runs_since(start) == 1
    assert IntegrityFlag.objects.filter(rule=Rule.VISIT_RUN).latest("id").visit == later[0]
