"""Verifications done from the desk (issue 19): a fluent note, a plausible delay and a photo —
but the photo's capture position and time place the verifier elsewhere or earlier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Attachment, Case
from integrity.models import IntegrityFlag, Rule
from integrity.services import run_rules
from workflows import services

from ..cases.personas import POINT_A, case_in

pytestmark = pytest.mark.django_db

NOTE = "到场复核，井盖已更换，安放平稳，周边无其他隐患。"


def verified(cast, *, minutes_after: float, capture: dict | None, monkeypatch) -> Case:
    """A case closed ``minutes_after`` its result, with one verification photo whose
    capture facts are ``capture`` (offsets in metres east of the case / minutes after the
    result)."""
    case = case_in(cast, "feedback", category_code="S0801")
    reported = Case.objects.get(pk=case.pk).reported_at
    at = reported + timedelta(minutes=minutes_after)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: at)
        closed = services.verify_pass(case_id=case.pk, by=case.verifier, note=NOTE)
    event = closed.events.get(action="verify_pass")
    if capture is not None:
        Attachment.objects.create(
            case=closed,
            event=event,
            stage=Attachment.Stage.VERIFICATION,
            file="verification.jpg",
            content_type="image/jpeg",
            size=1,
            capture_at=reported + timedelta(minutes=capture["minutes"]),
            capture_lon=POINT_A[0] + capture["east_m"] / 85_300,
            capture_lat=POINT_A[1],
            capture_accuracy_m=capture.get("accuracy", 10),
            created_at=at,
        )
    return closed


def flagged(rule: str) -> set[int]:
    return set(IntegrityFlag.objects.filter(rule=rule).values_list("case_id", flat=True))


def scan(rule: str) -> None:
    now = timezone.now()
    run_rules(since=now - timedelta(days=1), until=now + timedelta(days=1), rules=[rule])


def test_a_photo_captured_far_from_the_case_is_flagged_with_the_distance(cast, monkeypatch, client):
    desk = verified(
        cast, minutes_after=45, capture={"minutes": 44, "east_m": 2400}, monkeypatch=monkeypatch
    )
    on_site = verified(
        cast, minutes_after=50, capture={"minutes": 48, "east_m": 15}, monkeypatch=monkeypatch
    )
    poor_fix = verified(
        cast,
        minutes_after=60,
        capture={"minutes": 58, "east_m": 260, "accuracy": 120},
        monkeypatch=monkeypatch,
    )

    scan(Rule.VERIFICATION_NO_EVIDENCE)

    assert flagged(Rule.VERIFICATION_NO_EVIDENCE) == {desk.pk}
    evidence = IntegrityFlag.objects.get(case=desk).evidence
    assert evidence["reason"] == "photos_off_site"
    assert evidence["photo_whereabouts"][0]["far"] is True
    assert 2300 <= evidence["photo_whereabouts"][0]["distance_m"] <= 2500
    assert {on_site.pk, poor_fix.pk}.isdisjoint(flagged(Rule.VERIFICATION_NO_EVIDENCE))
    client.force_login(cast.staff)
    page = client.get("/integrity/").content.decode()
    assert "do not show the verifier at the case" in page
    assert f"taken {evidence['photo_whereabouts'][0]['distance_m']} m from the case" in page


def test_an_old_photo_taken_before_the_result_was_reported_is_flagged(cast, monkeypatch):
    old_photo = verified(
        cast,
        minutes_after=30,
        capture={"minutes": -3 * 24 * 60, "east_m": 5},
        monkeypatch=monkeypatch,
    )

    scan(Rule.VERIFICATION_NO_EVIDENCE)

    assert flagged(Rule.VERIFICATION_NO_EVIDENCE) == {old_photo.pk}
    facts = IntegrityFlag.objects.get(case=old_photo).evidence["photo_whereabouts"][0]
    assert facts["before_result"] is True
    assert facts["minutes_before_result"] == pytest.approx(3 * 24 * 60, abs=1)


def test_a_quick_verification_with_a_photo_taken_on_site_after_the_result_is_not_too_fast(
    cast, monkeypatch
):
    stood_by = verified(
        cast, minutes_after=3, capture={"minutes": 2, "east_m": 10}, monkeypatch=monkeypatch
    )
    from_the_desk = verified(
        cast, minutes_after=3, capture={"minutes": 2, "east_m": 3000}, monkeypatch=monkeypatch
    )

    scan(Rule.VERIFICATION_TOO_FAST)

    assert flagged(Rule.VERIFICATION_TOO_FAST) == {from_the_desk.pk}
    assert stood_by.pk not in flagged(Rule.VERIFICATION_TOO_FAST)
