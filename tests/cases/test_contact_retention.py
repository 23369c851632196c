"""Reporters' contacts are erased a set time after their case finished (PIPL retention)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.models import Case, CaseContact, CaseStatus
from residents.retention import run_retention

from .personas import case_in, new_case

pytestmark = pytest.mark.django_db


def _finished_days_ago(case, days: int) -> None:
    when = timezone.now() - timedelta(days=days)
    Case.objects.filter(pk=case.pk).update(closed_at=when, step_started_at=when)


def _contact(case) -> CaseContact:
    return CaseContact.objects.get(case=case)


def test_a_contact_is_erased_365_days_after_closing_not_before(cast, settings):
    settings.RETAIN_REPORTER_CONTACT_DAYS = 365
    old = case_in(cast, CaseStatus.CLOSED, resident=True)
    recent = case_in(cast, CaseStatus.CLOSED, resident=True)
    rejected = case_in(cast, CaseStatus.REJECTED, resident=True)
    still_open = new_case(cast, resident=True)
    _finished_days_ago(old, 366)
    _finished_days_ago(recent, 364)
    _finished_days_ago(rejected, 400)
    Case.objects.filter(pk=still_open.pk).update(step_started_at=timezone.now() - timedelta(999))

    (dry,) = [o for o in run_retention(dry_run=True) if o.rule.name == "reporter_contacts"]
    assert dry.count == 2
    assert _contact(old).phone == "13912345678"  # a dry run changes nothing

    (done,) = [o for o in run_retention(dry_run=False) if o.rule.name == "reporter_contacts"]
    assert done.count == 2
    for case in (old, rejected):
        contact = _contact(case)
        assert (contact.name, contact.phone, contact.email, contact.contact_hash) == ("",) * 4
        assert contact.erased_at is not None
    assert _contact(recent).phone == _contact(still_open).phone == "13912345678"
    again = [o for o in run_retention(dry_run=False) if o.rule.name == "reporter_contacts"]
    assert again[0].count == 0  # a second run is a no-op


def test_the_command_lists_the_rule(cast, capsys):
    call_command("apply_retention", "--dry-run")
    assert "reporter_contacts" in capsys.readouterr().out
