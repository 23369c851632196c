"""Following a case by its tracking code: progress in plain words, what a resident may see and
what they never see, rating once, and asking to reopen within 7 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Attachment, Case, CaseStatus, ReopenRequest
from cases.photos import prepare_photos
from cases.services import create_case
from workflows import outbox, resident_notices, services, sms
from workflows.errors import ReopenClosed
from workflows.models import Notification, ResidentMessage

from ..cases.personas import POINT_A, act, case_in, new_case, photo

pytestmark = pytest.mark.django_db


def _page(case, client=None) -> str:
    response = (client or Client()).get(f"/public/track/{case.tracking_code}/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_unknown_code_is_404(db):
    assert Client().get("/public/track/ABCDEFGHJK/").status_code == 404
    assert Client().post("/public/track/ABCDEFGHJK/", {"rate-score": "5"}).status_code == 404


def test_the_code_box_takes_a_code_as_typed(cast):
    case = new_case(cast, resident=True)
    typed = f" {case.tracking_code[:5].lower()}-{case.tracking_code[5:]} "
    response = Client().get("/public/track/", {"code": typed})
    assert response["Location"] == f"/public/track/{case.tracking_code}/"


def test_each_step_shows_in_plain_words_and_staff_stay_anonymous(cast):
    case = new_case(cast, resident=True)
    assert "Received" in _page(case)
    case = act(cast, "accept", case, note="内部备注：注意核实产权")
    case = act(cast, "dispatch", case, note="派遣备注：优先处理")
    page = _page(case)
    assert "With the department" in page and cast.department.name in page
    case = act(cast, "start", case)
    case = act(cast, "report", case, note="已更换新井盖并加固")
    page = _page(case)
    assert "Fixed, being checked" in page and "已更换新井盖并加固" in page
    case = act(cast, "verify_pass", case, note="核查人备注：现场合格")
    page = _page(case)
    assert "Checked and closed" in page
    for secret in (
        cast.staff.username,
        cast.handler.username,
        case.verifier.username,
        "内部备注",
        "派遣备注",
        "核查人备注",
        "13912345678",  # the resident's own phone is not echoed on a page anyone with the code sees
    ):
        assert secret not in page, secret


def test_a_rejected_report_says_why_and_a_merged_one_follows_the_case_it_joined(cast):
    rejected = case_in(cast, CaseStatus.REJECTED, resident=True)
    page = _page(rejected)
    assert "Not accepted" in page and "不属于受理范围" in page
    earlier = create_case(
        by=cast.reporter,
        title="井盖",
        description="网格员巡查：3号楼前井盖缺失",
        category_code="C0101",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )
    duplicate = new_case(cast, resident=True)
    act(cast, "merge", duplicate, duplicate_of_id=earlier.pk)
    earlier = act(cast, "accept", earlier)
    act(cast, "dispatch", earlier)
    page = _page(duplicate)
    assert earlier.number in page and "With the department" in page
    assert "网格员巡查" not in page  # another person's words
    assert "人行道上水井盖丢失" in page  # the resident's own


def test_the_resident_opens_their_photos_and_the_results_never_the_verifiers(cast):
    case = new_case(cast, resident=True)
    own = Attachment.build(case=case, stage="report", photo=prepare_photos([photo()])[0])
    own.save()
    case = case_in(cast, CaseStatus.CLOSED, resident=True)
    result = case.attachments.get(stage="result")
    check = case.attachments.get(stage="verification")
    base = f"/public/track/{case.tracking_code}/photos"
    assert Client().get(f"{base}/{result.pk}/").status_code == 200
    assert Client().get(f"{base}/{check.pk}/").status_code == 404
    assert Client().get(f"{base}/{own.pk}/").status_code == 404  # another case's photo


def test_a_resident_asks_to_reopen_and_street_staff_decide(cast):
    case = case_in(cast, CaseStatus.CLOSED, resident=True)
    url = f"/public/track/{case.tracking_code}/"
    assert Client().post(url, {"reopen-reason": ""}).status_code == 400
    response = Client().post(url, {"reopen-reason": "井盖又松了"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.reopen_requested_at is not None and case.status == "closed"
    assert "The street office is looking at it" in _page(case)
    # Staff are told, and see it in their approvals with the resident's words.
    outbox.after_transition(case.pk, "request_reopen", case.version)
    assert Notification.objects.filter(user=cast.staff, case=case).exists()
    queue = Client()
    queue.force_login(cast.staff)
    approvals = queue.get("/queue/?tab=approvals").content.decode()
    assert case.number in approvals and "井盖又松了" in approvals
    # A second request while one is pending is refused.
    assert Client().post(url, {"reopen-reason": "还是松"}).status_code == 409

    case = act(cast, "reopen", case)
    assert (case.status, case.rework_count, case.department_id) == (
        "dispatched",
        1,
        cast.department.pk,
    )
    assert ReopenRequest.objects.get(case=case).status == "reopened"
    assert "the department is fixing it again" in _page(case)


def test_a_declined_request_shows_the_reason_and_cannot_be_repeated(cast):
    case = case_in(cast, CaseStatus.CLOSED, resident=True)
    services.request_reopen(tracking_code=case.tracking_code, reason="还有异味")
    case.refresh_from_db()
    act(cast, "decline_reopen", case, reason="已复查，异味来自邻近工地，已转告城管")
    outbox.after_transition(case.pk, "decline_reopen", case.version + 1)
    message = ResidentMessage.objects.get(case=case, dedupe_key__contains="decline_reopen")
    resident_notices.send_message(message.pk)
    page = _page(case)
    assert "declined to reopen" in page and "已转告城管" in page
    assert "Not fixed?" not in page
    with pytest.raises(ReopenClosed):
        services.request_reopen(tracking_code=case.tracking_code, reason="还是有")
    assert [m.to for m in sms.outbox] == ["13912345678"] and "已转告城管" in sms.outbox[0].body


def test_reopening_is_possible_for_seven_days(cast):
    case = case_in(cast, CaseStatus.CLOSED, resident=True)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=8))
    with pytest.raises(ReopenClosed):
        services.request_reopen(tracking_code=case.tracking_code, reason="没修好")
    assert not ReopenRequest.objects.exists()


def test_a_workers_case_has_no_tracking_page(cast):
    case = case_in(cast, CaseStatus.CLOSED)
    assert case.tracking_code is None
