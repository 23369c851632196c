"""Dismissing and confirming flags: a note is required, and only the street's staff or the
district's administrators may review (everyone else: 404, as for any out-of-scope object)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from integrity.models import FlagStatus, IntegrityFlag, Rule
from integrity.selectors import flags_visible_to
from integrity.services import confirm_flag, dismiss_flag

from .conftest import plain_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def flag(cast):
    case = plain_case(cast.territory.cell_a, reporter=cast.reporter)
    return IntegrityFlag.objects.create(
        rule=Rule.NEAR_DUPLICATE, case=case, subject=cast.reporter, evidence={"matches": []}
    )


@pytest.mark.parametrize("review", [dismiss_flag, confirm_flag])
@pytest.mark.parametrize("note", ["", "   "])
def test_a_review_needs_a_note(review, note, flag, cast):
    with pytest.raises(ValidationError) as raised:
        review(flag_id=flag.pk, by=cast.staff, note=note)
    assert "note" in raised.value.message_dict
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    assert flag.reviewer is None


def test_street_staff_dismiss_with_a_note(flag, cast):
    dismiss_flag(flag_id=flag.pk, by=cast.staff, note="同一井盖两次丢失，已与物业核实")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED
    assert flag.reviewer == cast.staff
    assert flag.review_note == "同一井盖两次丢失，已与物业核实"
    assert flag.reviewed_at is not None


def test_district_admin_confirms_with_a_note(flag, district_admin):
    confirm_flag(flag_id=flag.pk, by=district_admin, note="现场无此井盖，属重复上报")
    flag.refresh_from_db()
    assert (flag.status, flag.reviewer) == (FlagStatus.CONFIRMED, district_admin)


def test_a_reviewed_flag_is_not_reviewed_again(flag, cast, district_admin):
    dismiss_flag(flag_id=flag.pk, by=cast.staff, note="已核实")
    with pytest.raises(ValidationError):
        confirm_flag(flag_id=flag.pk, by=district_admin, note="改判")
    flag.refresh_from_db()
    assert (flag.status, flag.reviewer) == (FlagStatus.DISMISSED, cast.staff)


@pytest.mark.parametrize("who", ["staff2", "worker_a2", "handler", "outsider", "reporter"])
def test_outsiders_get_404_and_change_nothing(who, flag, cast, staff2, outsider, request):
    user = {"reporter": cast.reporter}.get(who) or request.getfixturevalue(who)
    for review in (dismiss_flag, confirm_flag):
        with pytest.raises(Http404):
            review(flag_id=flag.pk, by=user, note="与我无关")
    assert not flags_visible_to(user).exists()
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_nobody_reviews_a_flag_about_themself(cast, district_admin):
    case = plain_case(cast.territory.cell_a, reporter=cast.reporter)
    about_staff = IntegrityFlag.objects.create(
        rule=Rule.VERIFICATION_TOO_FAST, case=case, subject=cast.staff
    )
    with pytest.raises(Http404):
        dismiss_flag(flag_id=about_staff.pk, by=cast.staff, note="我自己的")
    dismiss_flag(flag_id=about_staff.pk, by=district_admin, note="街道人员代为核查，已确认在场")


def test_street_staff_see_only_their_streets_flags(cast, staff2, district_admin):
    mine = plain_case(cast.territory.cell_a, reporter=cast.reporter)
    theirs = plain_case(cast.territory.cell_x, lon=116.425)
    flags = [
        IntegrityFlag.objects.create(rule=Rule.NEAR_DUPLICATE, case=case) for case in (mine, theirs)
    ]
    assert list(flags_visible_to(cast.staff)) == [flags[0]]
    assert list(flags_visible_to(staff2)) == [flags[1]]
    assert set(flags_visible_to(district_admin)) == set(flags)
