"""Each integrity rule fires on a planted case and stays quiet on a clean one (DESIGN §5),
and running the rules again stores nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cases.models import Case, Category
from cases.services import create_case
from integrity.models import IntegrityFlag, PhotoHash, Rule
from integrity.rules import Window
from integrity.rules.bursts import closing_window, poisson_tail, report_bursts
from integrity.services import run_rules
from workflows import services

from ..cases.personas import PNG, POINT_A, act, case_in, photo
from .conftest import add_event, encoded, photo_file, picture, plain_case, retouched

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def flagged(rule: str) -> set[int]:
    return set(IntegrityFlag.objects.filter(rule=rule).values_list("case_id", flat=True))


def file(cast, *, title="井盖丢失", description="人行道上水井盖丢失", dx_m=0.0, code="C0101", **kw):
    """A case of worker_a near POINT_A (``dx_m`` metres east of it)."""
    return create_case(
        by=kw.pop("by", cast.reporter),
        title=title,
        description=description,
        category_code=code,
        lon=POINT_A[0] + dx_m / 85_300,  # metres per degree of longitude at 39.9° N
        lat=POINT_A[1],
        **kw,
    )


def backdate(case: Case, hours: float) -> None:
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=hours))


# --- near-duplicate reports -----------------------------------------------------------------


@pytest.fixture
def empty_district(settings):
    """The test territory holds only the cases a test files: nothing to learn how common a
    wording or a spot is from, so the chance weighing (test_duplicates_chance) is let be."""
    settings.INTEGRITY_DUPLICATE_MAX_CHANCE = 1.0


def test_a_copied_report_is_flagged_with_the_earlier_case_as_evidence(cast, since, empty_district):
    first = file(cast)
    backdate(first, 30)
    copy = file(cast, description="人行道上水井盖丢失。", dx_m=12)
    different_problem = file(cast, title="路灯不亮", description="小区北门路灯不亮", code="C0104")
    far_away = file(cast, dx_m=300)

    run_rules(since=since, rules=[Rule.NEAR_DUPLICATE])

    assert flagged(Rule.NEAR_DUPLICATE) == {copy.pk}
    flag = IntegrityFlag.objects.get(case=copy)
    assert flag.subject == cast.reporter
    assert flag.related_case_ids == [first.pk]
    match = flag.evidence["matches"][0]
    assert match["number"] == first.number
    assert 10 <= match["distance_m"] <= 14
    assert match["hours_apart"] >= 29
    assert match["same_reporter"] is True
    assert different_problem.pk not in flagged(Rule.NEAR_DUPLICATE)
    assert far_away.pk not in flagged(Rule.NEAR_DUPLICATE)


def test_repeats_outside_the_window_or_already_merged_are_left_alone(cast, since):
    old = file(cast)
    backdate(old, 24 * 8)  # a week and a day before: a recurring problem, not a copy
    recurring = file(cast)
    merged = file(cast, dx_m=5)
    services.merge_case(case_id=merged.pk, by=cast.staff, duplicate_of_id=recurring.pk)

    run_rules(since=since, rules=[Rule.NEAR_DUPLICATE])

    assert flagged(Rule.NEAR_DUPLICATE) == set()


# --- the same photo on different cases ------------------------------------------------------


def test_a_photo_reused_on_another_case_is_flagged_even_when_re_encoded(cast, since):
    original = file(cast, photos=[photo_file(encoded(picture(1)))])
    reuse = file(cast, title="井盖破损", photos=[photo_file(retouched(1), "copy.jpg")], dx_m=400)
    own_photo = file(cast, title="井盖松动", photos=[photo_file(encoded(picture(2)))], dx_m=-400)

    run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert flagged(Rule.REUSED_PHOTO) == {reuse.pk}
    evidence = IntegrityFlag.objects.get(case=reuse).evidence["photos"][0]
    assert evidence["matched_case_id"] == original.pk
    assert evidence["distance"] <= 6
    assert evidence["same_file"] is False
    assert own_photo.pk not in flagged(Rule.REUSED_PHOTO)
    assert PhotoHash.objects.filter(informative=True).count() == 3


def test_blank_placeholder_images_are_not_compared(cast, since):
    file(cast, photos=[photo(data=PNG)])
    file(cast, title="井盖破损", photos=[photo(data=PNG)], dx_m=400)
    flat = encoded(picture(3).convert("L").point(lambda _v: 128))
    file(cast, title="井盖松动", photos=[photo_file(flat)], dx_m=-400)
    file(cast, title="井盖缺失", photos=[photo_file(flat)], dx_m=-200)

    run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert flagged(Rule.REUSED_PHOTO) == set()
    assert not PhotoHash.objects.filter(informative=True).exists()


# --- verifications --------------------------------------------------------------------------


def closed_service_case(cast, *, verify_note: str, photos=()):
    """A public-service case (no photo required at verification) walked to closed."""
    case = case_in(cast, "feedback", category_code="S0801")
    assert Case.objects.get(pk=case.pk).reported_at
    return services.verify_pass(
        case_id=case.pk, by=case.verifier, note=verify_note, photos=list(photos)
    )


def test_a_verification_without_photo_or_real_note_is_flagged(cast, since):
    bare = closed_service_case(cast, verify_note="已核查")
    parroted = closed_service_case(cast, verify_note="已补装井盖。")  # the report's note
    described = closed_service_case(cast, verify_note="现场回访两户，双方确认已按协议整改")
    pictured = closed_service_case(cast, verify_note="ok", photos=[photo_file(encoded(picture(4)))])

    run_rules(since=since, rules=[Rule.VERIFICATION_NO_EVIDENCE])

    assert flagged(Rule.VERIFICATION_NO_EVIDENCE) == {bare.pk, parroted.pk}
    assert IntegrityFlag.objects.get(case=parroted).evidence["note_copied_from_result"] is True
    flag = IntegrityFlag.objects.get(case=bare)
    assert flag.subject_id == bare.verifier_id
    assert flag.evidence["note_chars"] == 3
    assert {described.pk, pictured.pk}.isdisjoint(flagged(Rule.VERIFICATION_NO_EVIDENCE))


def test_a_verification_minutes_after_the_result_is_flagged(cast, since, monkeypatch):
    hasty = case_in(cast, "closed")  # reported and verified within the same second
    careful = case_in(cast, "feedback")
    two_hours_later = timezone.now() + timedelta(hours=2)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: two_hours_later)
        act(cast, "verify_pass", careful)

    run_rules(
        since=since,
        until=two_hours_later + timedelta(minutes=1),
        rules=[Rule.VERIFICATION_TOO_FAST],
    )

    assert flagged(Rule.VERIFICATION_TOO_FAST) == {hasty.pk}
    evidence = IntegrityFlag.objects.get(case=hasty).evidence
    assert evidence["minutes_after_result"] < 1
    assert evidence["result_action"] == "report"


# --- bursts before a period closes ----------------------------------------------------------


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_a_burst_in_the_last_days_of_a_month_is_flagged_against_the_workers_own_rate(cast):
    cell = cast.territory.cell_a
    # worker_a: one report every ten days, then eight in the last three days of March.
    for day in range(9):
        plain_case(
            cell, reporter=cast.reporter, at=local(2025, 1, 1, 10) + timedelta(days=10 * day)
        )
    burst = [
        plain_case(cell, reporter=cast.reporter, at=local(2025, 3, 29, 9 + i)) for i in range(8)
    ]
    # worker_a2: busy all along — two a day — and six at the month's end is their normal.
    for day in range(88):
        for hour in (9, 15):
            plain_case(
                cell, reporter=cast.worker_a2, at=local(2024, 12, 30, hour) + timedelta(days=day)
            )
    steady = [
        plain_case(cell, reporter=cast.worker_a2, at=local(2025, 3, 29, 8 + i)) for i in range(6)
    ]

    window = Window.of(since=local(2025, 3, 1), until=local(2025, 4, 1))
    drafts = report_bursts(window)

    assert [(d.subject_id, d.case_id) for d in drafts] == [(cast.reporter.pk, burst[0].pk)]
    evidence = drafts[0].evidence
    assert evidence["period"] == "2025-03"
    assert evidence["reports_in_window"] == 8
    # The baseline is every other day of the look-back, 31 January included.
    assert evidence["baseline_reports"] == 9
    assert evidence["ratio"] >= 3
    assert sorted(drafts[0].related_case_ids) == sorted(c.pk for c in burst[1:])
    assert steady[0].pk not in {d.case_id for d in drafts}


def test_poisson_tail():
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353352832, rel=1e-6)
    assert poisson_tail(8, 0.3) < 1e-6


# --- self-resolved cases --------------------------------------------------------------------


def test_a_self_resolve_nobody_else_checked_is_flagged_after_the_wait(cast, since):
    waiting = act(cast, "self_resolve", file(cast))
    checked = act(cast, "self_resolve", file(cast, dx_m=350))
    act(cast, "verify_pass", checked)
    own_check = act(cast, "self_resolve", file(cast, dx_m=-400))
    add_event(own_check, "verify_pass", "closed", actor=cast.reporter, at=timezone.now())

    run_rules(since=since, rules=[Rule.SELF_RESOLVE_UNCHECKED])
    # Within the 72 hours the verifier has, only the case its resolver verified is flagged.
    assert flagged(Rule.SELF_RESOLVE_UNCHECKED) == {own_check.pk}
    assert IntegrityFlag.objects.get(case=own_check).evidence["reason"] == (
        "checked_only_by_resolver"
    )

    later = timezone.now() + timedelta(hours=73)
    run_rules(since=since, until=later, rules=[Rule.SELF_RESOLVE_UNCHECKED])
    assert flagged(Rule.SELF_RESOLVE_UNCHECKED) == {own_check.pk, waiting.pk}
    flag = IntegrityFlag.objects.get(case=waiting)
    assert flag.subject == cast.reporter
    assert flag.evidence["reason"] == "never_checked"
    assert checked.pk not in flagged(Rule.SELF_RESOLVE_UNCHECKED)


# --- the runner -----------------------------------------------------------------------------


def test_running_the_rules_again_stores_nothing_twice(cast, since, empty_district):
    first = file(cast, photos=[photo_file(encoded(picture(5)))])
    backdate(first, 2)
    file(cast, photos=[photo_file(retouched(5), "c.jpg")], dx_m=3)
    case_in(cast, "closed", category_code="C0104")

    report = run_rules(since=since)
    # Two near-duplicates: the copy, and the closed C0104 case whose text repeats the 井盖
    # report at the same spot under a sibling category (same major class C01).
    assert report[Rule.NEAR_DUPLICATE]["new"] == 2
    assert report[Rule.REUSED_PHOTO]["new"] == 1
    assert report[Rule.VERIFICATION_TOO_FAST]["new"] == 1
    count = IntegrityFlag.objects.count()

    again = run_rules(since=since)

    assert IntegrityFlag.objects.count() == count
    assert all(row["new"] == 0 for row in again.values())
    assert again[Rule.NEAR_DUPLICATE]["found"] == 2


def test_rules_narrowed_to_case_ids_look_only_at_those_cases(cast, since):
    first = file(cast)
    backdate(first, 3)
    copy = file(cast)
    run_rules(since=since, case_ids=[first.pk], rules=[Rule.NEAR_DUPLICATE])
    assert flagged(Rule.NEAR_DUPLICATE) == set()
    run_rules(since=since, case_ids=[copy.pk], rules=[Rule.NEAR_DUPLICATE])
    assert flagged(Rule.NEAR_DUPLICATE) == {copy.pk}


def test_a_scan_changes_no_case(cast, since):
    case = case_in(cast, "closed")
    before = Case.objects.filter(pk=case.pk).values().get()
    run_rules(since=since)
    assert IntegrityFlag.objects.filter(case=case).exists()
    assert Case.objects.filter(pk=case.pk).values().get() == before
    assert Category.objects.exists()


def test_a_long_scan_goes_a_month_at_a_time_and_finds_each_thing_once(cast):
    first = file(cast)
    backdate(first, 24 * 40)
    copy = file(cast, dx_m=4)
    backdate(copy, 24 * 40 - 6)
    burst_month = timezone.localtime(timezone.now() - timedelta(days=62)).date().replace(day=1)
    start, _end = closing_window(burst_month, 3)
    burst = [
        plain_case(
            cast.territory.cell_a,
            reporter=cast.worker_a2,
            at=start + timedelta(hours=h),
            lon=116.401 + h * 0.00012,  # 60 m apart, far from the copies: no near-duplicates
            lat=39.901,
        )
        for h in range(0, 60, 6)
    ]

    report = run_rules(since=timezone.now() - timedelta(days=100))

    assert report[Rule.NEAR_DUPLICATE]["found"] == 1
    assert flagged(Rule.NEAR_DUPLICATE) == {copy.pk}
    assert flagged(Rule.REPORT_BURST) == {burst[0].pk}
    assert report[Rule.REPORT_BURST] | {"seconds": 0} == {"found": 1, "new": 1, "seconds": 0}
