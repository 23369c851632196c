"""``GET /api/v1/cases/``: scope, filters, pagination and a constant query count."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case

from ..cases.personas import case_in, new_case

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
_serial = itertools.count()


def copies(case: Case, n: int, **fields) -> list[Case]:
    """``n`` saved copies of ``case`` (new numbers), cheaply; ``fields`` override columns."""
    values = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
    values.pop("id")
    rows = [Case(**{**values, "number": f"copy-{next(_serial)}", **fields}) for _ in range(n)]
    return Case.objects.bulk_create(rows)


def test_query_count_does_not_grow_with_the_page(cast, client_for):
    dispatched = case_in(cast, "feedback")  # department, handler and verifier all set
    copies(dispatched, 120)
    copies(new_case(cast), 5)
    client = client_for(cast.staff)
    counts = {}
    for size in (20, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CASES, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts[size] = len(queries)
    assert counts[20] == counts[100], counts
    actions = {tuple(row["allowed_actions"]) for row in response.json()["results"]}
    assert actions == {(), ("accept", "reject", "merge")}  # feedback copies, collected ones
    assert response.json()["count"] == 127


def test_page_size_is_capped_at_100(cast, client_for):
    copies(new_case(cast), 105)
    response = client_for(cast.staff).get(CASES, {"page_size": 1000})
    assert len(response.json()["results"]) == 100
    assert response.json()["next"]


def test_each_user_lists_only_their_scope(cast, client_for, worker_x, staff2):
    case_in(cast, "collected")
    assert client_for(cast.reporter).get(CASES).json()["count"] == 1
    assert client_for(cast.staff).get(CASES).json()["count"] == 1
    assert client_for(cast.handler).get(CASES).json()["count"] == 0  # nothing dispatched yet
    assert client_for(worker_x).get(CASES).json()["count"] == 0
    assert client_for(staff2).get(CASES).json()["count"] == 0


def test_filters(cast, client_for):
    territory = cast.territory
    collected = new_case(cast)
    accepted = case_in(cast, "accepted", category_code="E0101")
    [late] = copies(collected, 1, overdue=True, source="hotline")
    [old] = copies(collected, 1, created_at=timezone.now() - timedelta(days=40))
    client = client_for(cast.staff)

    def ids(**params) -> set[int]:
        response = client.get(CASES, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    everything = {collected.pk, accepted.pk, late.pk, old.pk}
    assert ids() == everything
    assert ids(status="accepted") == {accepted.pk}
    assert ids(category="E0101") == {accepted.pk}
    assert ids(category="Z9999") == set()
    assert ids(cell=territory.cell_a.full_code) == everything
    assert ids(cell=territory.cell_b.full_code) == set()
    assert ids(street=territory.street1.full_code) == everything
    assert ids(overdue="true") == {late.pk}
    assert ids(overdue="false") == everything - {late.pk}
    assert ids(source="hotline") == {late.pk}
    today = timezone.localdate()
    assert ids(created_after=today.isoformat()) == everything - {old.pk}
    assert ids(created_before=(today - timedelta(days=1)).isoformat()) == {old.pk}
    assert ids(created_after="0001-01-01", created_before="9999-12-31") == everything


@pytest.mark.parametrize(
    "params",
    [
        {"created_after": "not-a-date"},
        {"created_before": "2026-13-45"},
        {"status": "flying"},
        {"source": "pigeon"},
    ],
)
def test_bad_filters_are_400(cast, client_for, params):
    response = client_for(cast.staff).get(CASES, params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_a_page_past_the_end_is_404(cast, client_for):
    new_case(cast)
    assert client_for(cast.staff).get(CASES, {"page": 9}).status_code == 404
