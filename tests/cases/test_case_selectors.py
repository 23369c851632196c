"""Who sees which case (DESIGN §6), from the insider's and the outsider's side."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from cases.selectors import cases_visible_to, get_case_for

from ..factories import UserFactory
from .personas import POINT_X, act, case_in, new_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(cast, territory, worker_x, staff2):
    from cases.services import create_case

    a = new_case(cast)
    dispatched = case_in(cast, "dispatched")
    x = create_case(
        by=worker_x,
        title="占道经营",
        description="路口占道经营",
        category_code="E0401",
        lon=POINT_X[0],
        lat=POINT_X[1],
    )
    return {"a": a, "dispatched": dispatched, "x": x}


def _ids(user) -> set[int]:
    return set(cases_visible_to(user).values_list("pk", flat=True))


def test_scopes(cast, cases, worker_x, staff2, volunteer, district_admin, other_handler, outsider):
    a, d, x = cases["a"].pk, cases["dispatched"].pk, cases["x"].pk
    assert _ids(cast.reporter) == {a, d}
    assert _ids(cast.worker_b) == set()  # cell B: neither their cell nor their verification
    assert _ids(worker_x) == _ids(staff2) == {x}
    assert _ids(cast.staff) == _ids(volunteer) == {a, d}
    assert _ids(district_admin) == {a, d, x}
    assert _ids(cast.handler) == {d}  # only what was dispatched to the department
    assert _ids(other_handler) == _ids(outsider) == set()
    assert _ids(UserFactory(username="root", is_superuser=True)) == {a, d, x}


def test_verifier_of_another_cell_sees_the_case(cast, settings):
    settings.CROSS_CHECK_SHARE = 1
    case = case_in(cast, "feedback")
    assert case.verifier == cast.worker_b
    assert get_case_for(cast.worker_b, case.pk) == case
    act(cast, "verify_pass", case)
    assert case.pk in _ids(cast.worker_b)


def test_get_case_for_answers_404_out_of_scope(cases, staff2, cast):
    assert get_case_for(cast.staff, cases["a"].pk) == cases["a"]
    with pytest.raises(Http404):
        get_case_for(staff2, cases["a"].pk)
    with pytest.raises(Http404):
        get_case_for(cast.staff, 10**9)


def test_list_query_count_does_not_grow_with_rows(cast, cases, district_admin):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for case in cases_visible_to(district_admin):
                _ = (case.category.parent.name, case.cell.name, case.street.name, case.department)
        return len(ctx.captured_queries)

    few = count_queries()
    for _i in range(5):
        new_case(cast)
    assert count_queries() == few
