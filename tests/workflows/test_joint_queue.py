"""A co-department's or a summoned department's work queue (the department page) holds a joint
case while it has something to do there — an open part (协办), a summons not yet checked in
(报到) — and not after; it may still read the case for the record (issue 16)."""

from __future__ import annotations

import pytest

from cases.models import CaseStatus
from cases.selectors import cases_visible_to, department_cases

from ..cases.personas import act, case_in, with_co_department

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(cast, other_handler):
    return with_co_department(cast, other_handler)


def _queue(user) -> set[int]:
    return set(department_cases(user).values_list("pk", flat=True))


def test_the_case_leaves_the_co_departments_queue_once_its_part_is_reported(joint):
    case = act(joint, "add_codepartment", case_in(joint, CaseStatus.HANDLING))
    assert _queue(joint.co_handler) == {case.pk}
    case = act(joint, "report_part", case)
    assert case.status == CaseStatus.HANDLING  # the lead has not reported: the case is open
    assert _queue(joint.co_handler) == set()
    assert _queue(joint.handler) == {case.pk}  # the lead's queue keeps it
    assert case.pk in set(cases_visible_to(joint.co_handler).values_list("pk", flat=True))


def test_a_released_part_leaves_the_queue_too(joint):
    case = act(joint, "add_codepartment", case_in(joint, CaseStatus.HANDLING))
    act(joint, "release_part", case)
    assert _queue(joint.co_handler) == set()


def test_a_summoned_department_has_the_case_until_it_checks_in(joint):
    case = act(joint, "summon", case_in(joint, CaseStatus.DISPATCHED))
    assert _queue(joint.co_handler) == {case.pk}
    act(joint, "check_in", case)
    assert _queue(joint.co_handler) == set()
