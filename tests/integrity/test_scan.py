"""The periodic scan: beat schedule from the data migration, the task and the command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrity.models import IntegrityFlag, Rule
from integrity.rules import RULES
from integrity.tasks import scan_recent

from ..cases.personas import case_in

pytestmark = pytest.mark.django_db


def test_the_task_runs_every_rule_and_is_idempotent(cast):
    case = case_in(cast, "closed")
    first = scan_recent()
    assert set(first) == set(RULES)
    assert first[Rule.VERIFICATION_TOO_FAST]["new"] == 1
    again = scan_recent()
    assert again[Rule.VERIFICATION_TOO_FAST] | {"seconds": 0} == {
        "found": 1,
        "new": 0,
        "seconds": 0,
    }
    assert IntegrityFlag.objects.filter(case=case).count() == 1


def test_the_command_scans_since_a_date(cast):
    case_in(cast, "closed")
    out = StringIO()
    call_command(
        "scan_integrity", "--since", "2d", "--rule", Rule.VERIFICATION_TOO_FAST, stdout=out
    )
    assert "verification_too_fast" in out.getvalue()
    assert IntegrityFlag.objects.filter(rule=Rule.VERIFICATION_TOO_FAST).count() == 1
    with pytest.raises(CommandError):
        call_command("scan_integrity", "--since", "yesterday-ish")
