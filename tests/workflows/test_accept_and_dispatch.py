"""Street staff's one-step accept and dispatch: both steps, or neither."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.models import Case, CaseStatus
from workflows.errors import TransitionNotAllowed
from workflows.services import accept_and_dispatch_case

from ..cases.personas import act, new_case

pytestmark = pytest.mark.django_db


def test_both_steps_with_two_events(cast):
    case = new_case(cast)
    department = cast.territory.department
    case = accept_and_dispatch_case(
        case_id=case.pk, by=cast.staff, department_id=department.pk, note="立案并派遣"
    )
    assert (case.status, case.department_id) == (CaseStatus.DISPATCHED, department.pk)
    events = list(case.events.order_by("seq").values_list("action", "note"))
    assert events[1:] == [("accept", "立案并派遣"), ("dispatch", "")]


def test_a_refused_dispatch_leaves_the_case_unaccepted(cast):
    case = new_case(cast)
    with pytest.raises(ValidationError) as refused:
        accept_and_dispatch_case(case_id=case.pk, by=cast.staff, department_id=None)
    assert "department" in refused.value.message_dict
    case = Case.objects.get(pk=case.pk)
    assert case.status == CaseStatus.COLLECTED and case.events.count() == 1


def test_a_case_already_accepted_is_refused_whole(cast):
    case = act(cast, "accept", new_case(cast))
    with pytest.raises(TransitionNotAllowed):
        accept_and_dispatch_case(
            case_id=case.pk, by=cast.staff, department_id=cast.territory.department.pk
        )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED
