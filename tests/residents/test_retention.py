"""Retention (PIPL art. 19, 47): personal data kept no longer than its purpose needs.

Residents who moved out more than ``RETAIN_MOVED_OUT_DAYS`` ago are anonymised; a household
left with nobody keeps no address. Rules are registered in ``residents.retention`` (other apps
add theirs from their own ``retention`` module) and run daily by beat and by
``manage.py apply_retention [--dry-run]``.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from residents import retention
from residents.models import Household, PIIAccessLog, PIIListLog, Resident, Tag, Visit
from residents.retention import RetentionRule, run_retention
from residents.services import reveal_resident_pii, search_residents_by_number
from residents.tasks import apply_retention

from ..factories import make_id_number
from .conftest import ID_A, PHONE_A

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def snapshot() -> list[tuple]:
    return [
        tuple(row)
        for model in (Resident, Household, Visit, Resident.tags.through)
        for row in model.objects.order_by("pk").values_list()
    ]


@pytest.fixture
def moved(people, worker_a):
    """王芳 (cell A, alone in her household) moved out 731 days ago with two tags and a
    visit; 李娜 (cell B) 729 days ago; 张敏 (cell X) still lives there."""
    people.a.tags.add(*Tag.objects.filter(code__in=["disabled", "elderly_alone"]))
    Visit.objects.create(household=people.a.household, worker=worker_a, note="王奶奶腿脚不便")
    Resident.objects.filter(pk=people.a.pk).update(moved_out_at=days_ago(731))
    Resident.objects.filter(pk=people.b.pk).update(moved_out_at=days_ago(729))
    return people


def _moved_out(outcomes):
    (outcome,) = [o for o in outcomes if o.rule.name == "moved_out_residents"]
    return outcome


def test_a_resident_moved_out_past_the_period_is_anonymised(moved):
    outcome = _moved_out(run_retention(dry_run=False))
    assert (outcome.rule.name, outcome.count) == ("moved_out_residents", 1)
    a = Resident.objects.get(pk=moved.a.pk)
    assert (a.name, a.id_number, a.phone, a.phone_hash) == ("", "", "", "")
    assert a.id_number_hash is None
    assert a.birth_date == date(1949, 1, 1)  # the year is kept, for statistics
    assert a.gender == "F" and a.anonymised_at is not None
    assert not a.tags.exists()
    household = Household.objects.get(pk=moved.a.household_id)
    assert household.address == ""  # nobody left there
    assert Visit.objects.get(household=household).note == ""
    b = Resident.objects.get(pk=moved.b.pk)
    assert (b.name, b.id_number, b.anonymised_at) == ("李娜", moved.b.id_number, None)
    assert Household.objects.get(pk=moved.b.household_id).address != ""


def test_nothing_plain_is_left_in_the_database_row(moved):
    run_retention(dry_run=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM residents_resident WHERE id = %s", [moved.a.pk])
        row = str(cursor.fetchone())
    assert "王芳" not in row and "19491231" not in row


def test_a_household_keeps_its_address_while_someone_lives_there(moved, territory):
    from residents.services import create_resident

    create_resident(
        household=moved.a.household,
        name="王强",
        gender="M",
        id_number=make_id_number(birth=date(1975, 5, 5), seq=13),
    )
    run_retention(dry_run=False)
    assert Resident.objects.get(pk=moved.a.pk).name == ""
    assert Household.objects.get(pk=moved.a.household_id).address == moved.a.household.address


def test_dry_run_changes_nothing(moved):
    before = snapshot()
    outcome = _moved_out(run_retention(dry_run=True))
    assert outcome.count == 1 and outcome.dry_run
    assert snapshot() == before


def test_running_twice_is_a_no_op(moved):
    run_retention(dry_run=False)
    after_first = snapshot()
    outcome = _moved_out(run_retention(dry_run=False))
    assert outcome.count == 0
    assert snapshot() == after_first


def test_the_period_comes_from_settings(moved, settings):
    settings.RETAIN_MOVED_OUT_DAYS = 10
    outcome = _moved_out(run_retention(dry_run=True))
    assert outcome.count == 2 and outcome.days == 10


def test_a_period_below_one_day_is_refused(moved, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.RETAIN_MOVED_OUT_DAYS = 0
    with pytest.raises(ImproperlyConfigured, match="RETAIN_MOVED_OUT_DAYS"):
        run_retention(dry_run=True)
    assert Resident.objects.get(pk=moved.b.pk).name == "李娜"


def test_the_command_prints_per_rule(moved):
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "moved_out_residents" in out.getvalue() and "would erase 1" in out.getvalue()
    assert Resident.objects.get(pk=moved.a.pk).name == "王芳"
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "erased 1" in out.getvalue()
    assert Resident.objects.get(pk=moved.a.pk).name == ""


def test_the_beat_task_applies_the_rules(moved):
    assert apply_retention()["moved_out_residents"] == 1
    assert apply_retention()["moved_out_residents"] == 0


def test_another_app_registers_a_rule(moved, monkeypatch):
    """How another app's rule plugs in (cases' reporter contacts do): a ``RetentionRule``
    registered from the app's own module; residents never imports it."""
    monkeypatch.setattr(retention, "_RULES", dict(retention._RULES))
    erased: list[date] = []
    retention.register(
        RetentionRule(
            name="example_rule",
            description="an app's records",
            period_setting="RETAIN_EXAMPLE_DAYS",
            default_days=365,
            count_due=lambda cutoff: 7,
            erase_due=lambda cutoff: erased.append(cutoff) or 7,
        )
    )
    outcomes = {o.rule.name: o for o in run_retention(dry_run=False)}
    assert outcomes["example_rule"].count == 7
    assert erased == [timezone.localdate() - timedelta(days=365)]
    with pytest.raises(ValueError, match="already registered"):
        retention.register(retention._RULES["example_rule"])


def test_the_access_logs_keep_no_plaintext(moved, street_staff, admin_as, district_admin):
    from django.urls import reverse

    reveal_resident_pii(resident_id=moved.a.pk, by=district_admin, reason="核对")
    search_residents_by_number(by=street_staff, number=ID_A, where="hotline")
    search_residents_by_number(by=street_staff, number=PHONE_A, where="hotline")
    admin_as(street_staff).get(reverse("admin:residents_resident_changelist"), {"q": "王芳"})
    run_retention(dry_run=False)
    logged = str(list(PIIAccessLog.objects.values_list())) + str(
        list(PIIListLog.objects.values_list())
    )
    assert PIIListLog.objects.count() == 3 and PIIAccessLog.objects.count() == 1
    for plain in ("王芳", ID_A, PHONE_A, PHONE_A[3:], ID_A[6:14], moved.a.household.address):
        assert plain not in logged, plain
