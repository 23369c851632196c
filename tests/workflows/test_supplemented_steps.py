"""A worker's note added to a case (补充, a ``supplement`` event) is not a step: what the intake
sweep and a step's outbox row owe — the street's notice, the resident's message, the
auto-dispatch — is still delivered when a note came in between, and tells of the step, not of
the note."""

from __future__ import annotations

import pytest

from cases.models import CaseStatus, RoutingRule
from workflows import intake_follow_up, outbox, services
from workflows.models import Notification, NotificationKind, ResidentMessage

from ..cases.personas import act, case_in, new_case

pytestmark = pytest.mark.django_db


def supplement(cast, case, note: str = "东侧也有一处"):
    return services.add_to_case(case_id=case.pk, by=cast.worker_a2, note=note)


def notices_of(user, case) -> list[str]:
    return list(
        Notification.objects.filter(
            user=user, case=case, kind=NotificationKind.ACTION_NEEDED
        ).values_list("message", flat=True)
    )


def test_a_case_supplemented_before_the_intake_sweep_still_tells_the_street(cast):
    case = new_case(cast, resident=True)
    supplement(cast, case)
    assert intake_follow_up.follow_up_pending(seconds=60).done == 1
    assert len(notices_of(cast.staff, case)) == 1
    assert "awaits acceptance" in notices_of(cast.staff, case)[0]
    assert ResidentMessage.objects.filter(case=case, body__contains=case.tracking_code).exists()


def test_a_case_accepted_before_the_intake_sweep_is_not_announced_as_new(cast):
    case = new_case(cast)
    act(cast, "accept", case)
    supplement(cast, case)
    intake_follow_up.follow_up_pending(seconds=60)
    assert not any("awaits acceptance" in m for m in notices_of(cast.staff, case))


def test_a_step_supplemented_before_its_delivery_still_notifies_the_next_actor(cast):
    case = act(cast, "accept", new_case(cast))
    supplement(cast, case)
    outbox.deliver_pending(seconds=10)
    assert any("awaits dispatch" in m for m in notices_of(cast.staff, case))


def test_a_notice_tells_the_steps_note_not_the_supplements(cast):
    case = act(cast, "request_extension", case_in(cast, CaseStatus.HANDLING))
    services.refuse_extension(case_id=case.pk, by=cast.staff, reason="材料已到，按期完成")
    supplement(cast, case, note="补充的照片说明")
    outbox.deliver_pending(seconds=10)
    (message,) = [m for m in notices_of(cast.handler, case) if "refused" in m]
    assert "材料已到，按期完成" in message and "补充的照片说明" not in message


def test_a_step_supplemented_before_its_delivery_still_tells_the_resident(cast):
    case = act(cast, "accept", new_case(cast, resident=True))
    supplement(cast, case)
    outbox.deliver_pending(seconds=10)
    assert ResidentMessage.objects.filter(case=case, body__contains="accepted").exists()


def test_an_accept_supplemented_before_routing_is_still_dispatched(cast, territory):
    case = new_case(cast)
    RoutingRule.objects.create(
        category=case.category, district=territory.district, department=cast.department
    )
    act(cast, "accept", case)
    supplement(cast, case)
    outbox.deliver_pending(seconds=10)
    case.refresh_from_db()
    assert (case.status, case.department) == (CaseStatus.DISPATCHED, cast.department)
