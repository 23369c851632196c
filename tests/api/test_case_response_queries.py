"""The case a step answers with (``POST /api/v1/cases/{id}/<action>/`` and ``supplement``)
shows its co-departments' parts and summonses (协办, 吹哨) in the same queries whatever their
number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import CaseStatus
from workflows import services

from ..cases.personas import case_in
from ..factories import DepartmentFactory
from .test_case_loop_api import CASES

pytestmark = pytest.mark.django_db


def _answer_queries(cast, client_for, co_departments: int, endpoint: str) -> int:
    case = case_in(cast, CaseStatus.HANDLING)
    departments = [
        DepartmentFactory(district=cast.territory.district) for _ in range(co_departments)
    ]
    for department in departments:
        services.add_codepartment(
            case_id=case.pk, by=cast.staff, department_id=department.pk, note="协办"
        )
    services.summon(case_id=case.pk, by=cast.staff, department_ids=[d.pk for d in departments])
    in_two_weeks = (timezone.now() + timedelta(days=14)).isoformat()
    user, body = {
        "supplement": (cast.worker_a2, {"note": "东侧也有一处"}),
        "suspend": (
            cast.staff,
            {"reason": "等待产权单位确认", "review_at": in_two_weeks},
        ),
    }[endpoint]
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"{CASES}{case.pk}/{endpoint}/", body, format="json")
    assert response.status_code == 200, response.content
    shown = response.json()
    assert len(shown["parts"]) == len(shown["summonses"]) == co_departments
    assert {p["department_name"] for p in shown["parts"]} == {d.name for d in departments}
    return len(queries)


@pytest.mark.parametrize("endpoint", ["supplement", "suspend"])
def test_a_steps_answer_reads_parts_and_summonses_in_constant_queries(cast, client_for, endpoint):
    assert _answer_queries(cast, client_for, 1, endpoint) == _answer_queries(
        cast, client_for, 4, endpoint
    )
