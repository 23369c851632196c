"""Messages to the resident behind a case (no account, no inbox): by SMS, else email, at the
steps a resident cares about, once each, never to an erased contact."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from cases.models import CaseContact, CaseStatus
from cases.services import ReporterContact, create_case
from workflows import outbox, resident_notices, sms
from workflows.models import ResidentMessage

from ..cases.personas import POINT_A, act, case_in, new_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    settings.SMS_BACKEND = "workflows.sms.LocmemBackend"
    sms.outbox.clear()


def _sent(case) -> list[str]:
    for message in ResidentMessage.objects.filter(case=case, sent_at__isnull=True):
        resident_notices.send_message(message.pk)
    return [m.body for m in sms.outbox]


def _after(case, action):
    case.refresh_from_db()
    return outbox.after_transition(case.pk, action, case.version)


def test_a_rejected_resident_hears_why_with_the_tracking_link(cast):
    case = new_case(cast, resident=True)
    case = act(cast, "reject", case, reason="属于物业管理范围，请联系物业")
    _after(case, "reject")
    (body,) = _sent(case)
    assert case.number in body and "请联系物业" in body
    assert f"/public/track/{case.tracking_code}/" in body


def test_a_merged_resident_hears_which_case_theirs_joined(cast):
    earlier = new_case(cast)
    case = new_case(cast, resident=True)
    case = act(cast, "merge", case, duplicate_of_id=earlier.pk)
    _after(case, "merge")
    (body,) = _sent(case)
    assert earlier.number in body


def test_closing_sends_the_rating_link_once(cast):
    case = case_in(cast, CaseStatus.CLOSED, resident=True)
    assert _after(case, "verify_pass") >= 1
    _after(case, "verify_pass")  # a redelivered task
    (body,) = _sent(case)
    assert "Rate it" in body and case.tracking_code in body


def test_internal_steps_say_nothing_and_a_worker_case_never_messages(cast):
    case = case_in(cast, CaseStatus.HANDLING, resident=True)
    _after(case, "start")
    assert _sent(case) == []
    worker_case = case_in(cast, CaseStatus.CLOSED)
    _after(worker_case, "verify_pass")
    assert not ResidentMessage.objects.filter(case=worker_case).exists()


def test_email_when_only_an_address_was_given(cast):
    case = create_case(
        by=None,
        source="resident",
        contact=ReporterContact(email="li@example.org"),
        title="路灯",
        description="路灯不亮",
        category_code="C0104",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )
    assert resident_notices.tell_resident(case.pk, "create") == 1
    message = ResidentMessage.objects.get(case=case)
    assert message.channel == "email"
    assert resident_notices.send_message(message.pk)
    assert mail.outbox[-1].to == ["li@example.org"] and case.tracking_code in mail.outbox[-1].body
    ResidentMessage.objects.filter(pk=message.pk).update(sent_at=None)  # a commit lost
    assert resident_notices.send_message(message.pk)
    assert mail.outbox[-1].message()["Message-ID"] == mail.outbox[-2].message()["Message-ID"]


def test_an_erased_contact_is_never_written_to(cast):
    case = new_case(cast, resident=True)
    resident_notices.tell_resident(case.pk, "create")
    CaseContact.objects.filter(case=case).update(phone="", email="", erased_at=timezone.now())
    assert _sent(case) == []
