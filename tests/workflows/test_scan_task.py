"""The per-minute scan task: the deadline scan is never held up by the summons scan."""

from __future__ import annotations

import pytest

from workflows import summons, tasks

pytestmark = pytest.mark.django_db


def test_a_failing_summons_scan_does_not_stop_the_deadline_scan(monkeypatch, caplog):
    def broken(**_kwargs):
        raise RuntimeError("summons scan broke")

    monkeypatch.setattr(summons, "scan_summonses", broken)
    result = tasks.scan_sla()
    assert "summons_late" not in result and result  # the deadline scan's figures came back
    assert "the summons scan failed" in caplog.text


def test_the_scan_reports_both(db):
    assert {"summons_late", "summons_red"} <= set(tasks.scan_sla())
