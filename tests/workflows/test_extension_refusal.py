"""Refusing an extension (延期驳回): only while one waits (409 otherwise), a reason required
(400), the deadline kept, an event on the timeline, the handler told why."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.models import CaseStatus
from workflows import notifications, services
from workflows.errors import ActionForbidden, TransitionNotAllowed
from workflows.models import Notification

from ..cases.personas import act, case_in

pytestmark = pytest.mark.django_db


def test_a_refused_extension_keeps_the_deadline_and_tells_the_handler_why(cast):
    case = act(cast, "request_extension", case_in(cast, CaseStatus.HANDLING))
    asked, due = case.requested_due_at, case.due_at
    case = services.refuse_extension(case_id=case.pk, by=cast.staff, reason="材料已到，按期完成")
    case.refresh_from_db()
    assert (case.status, case.due_at, case.requested_due_at) == (CaseStatus.HANDLING, due, None)
    event = case.events.order_by("-seq").first()
    assert (event.action, event.note, event.actor) == (
        "refuse_extension",
        "材料已到，按期完成",
        cast.staff,
    )
    assert event.payload["refused_due_at"].startswith(asked.date().isoformat())

    assert notifications.notify_next_actor(case.pk, "refuse_extension", case.version) == 1
    notice = Notification.objects.get(user=cast.handler)
    assert "材料已到，按期完成" in notice.message and case.number in notice.message


def test_nothing_to_refuse_is_a_409_saying_why(cast):
    case = case_in(cast, CaseStatus.HANDLING)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.refuse_extension(case_id=case.pk, by=cast.staff, reason="不同意")
    assert "No extension request is waiting" in str(refused.value)


def test_a_reason_is_required_and_a_handler_may_not_refuse(cast):
    case = act(cast, "request_extension", case_in(cast, CaseStatus.HANDLING))
    with pytest.raises(ValidationError) as missing:
        services.refuse_extension(case_id=case.pk, by=cast.staff, reason=" ")
    assert "reason" in missing.value.message_dict
    with pytest.raises(ActionForbidden):
        services.refuse_extension(case_id=case.pk, by=cast.handler, reason="不同意")
    case.refresh_from_db()
    assert case.requested_due_at is not None  # still waiting for the street's decision
