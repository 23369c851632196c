"""The review page at full load (issue 14): flags grouped by rule or by worker, evidence
collapsed until opened, p-values as "< 0.001", bulk dismiss/confirm with one note (a flag
that fails is listed with why, the others go through) and open counts updated in place."""

from __future__ import annotations

import pytest

from integrity.models import FlagStatus, IntegrityFlag, Rule
from integrity.templatetags.integrity_tags import pvalue

from .conftest import plain_case
from .test_pages import HTMX, make_flags

pytestmark = pytest.mark.django_db


def test_flags_are_grouped_by_rule_or_by_worker_with_evidence_collapsed(client, cast):
    make_flags(cast, 6)  # two reused photos, four near duplicates, all about one worker
    client.force_login(cast.staff)
    html = client.get("/integrity/").content.decode()
    assert html.count('data-testid="flag-group"') == 2
    assert html.count('<details data-testid="evidence">') == 6  # closed: no "open"
    assert html.count("<textarea") == 6 + 1  # inside the closed evidence, and the bulk note
    html = client.get("/integrity/?group=worker").content.decode()
    assert html.count('data-testid="flag-group"') == 1
    assert client.get("/integrity/?group=colour").status_code == 404


def test_bulk_dismiss_with_one_note_reports_each_and_updates_counts(client, cast):
    flags = make_flags(cast, 5)
    reviewed = flags[0]
    reviewed.status = FlagStatus.CONFIRMED
    reviewed.save(update_fields=["status"])
    client.force_login(cast.staff)
    ids = [f.pk for f in flags]
    response = client.post(
        "/integrity/bulk/",
        {"decision": "dismiss", "note": "同一处反复出现的问题", "flag": ids},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('hx-swap-oob="true"') == 4 + 1  # four cards and the counts
    failed = html[html.index('data-testid="bulk-failed"') :]
    assert f"#{reviewed.pk}" in failed and "already reviewed" in failed
    assert "0 open flags" in html
    dismissed = IntegrityFlag.objects.filter(status=FlagStatus.DISMISSED)
    assert set(dismissed.values_list("review_note", flat=True)) == {"同一处反复出现的问题"}
    assert dismissed.count() == 4


def test_bulk_input_errors_are_400_and_outsiders_fail_alone(client, cast, staff2):
    (flag,) = make_flags(cast, 1)
    client.force_login(cast.staff)
    assert (
        client.post("/integrity/bulk/", {"decision": "dismiss", "flag": [flag.pk]}).status_code
        == 400
    )
    assert client.post("/integrity/bulk/", {"decision": "dismiss", "note": "x"}).status_code == 400
    bad = {"decision": "burn", "note": "x", "flag": [flag.pk]}
    assert client.post("/integrity/bulk/", bad).status_code == 400
    client.force_login(staff2)
    ok = {"decision": "confirm", "note": "x", "flag": [flag.pk]}
    response = client.post("/integrity/bulk/", ok, **HTMX)
    assert response.status_code == 200 and b"Not a flag you review." in response.content
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    client.force_login(cast.reporter)
    assert client.post("/integrity/bulk/", ok).status_code == 403


def test_a_single_review_updates_the_open_counts(client, cast):
    flags = make_flags(cast, 3)
    client.force_login(cast.staff)
    assert "3 open flags" in client.get("/integrity/").content.decode()
    response = client.post(f"/integrity/{flags[1].pk}/dismiss/", {"note": "核实无误"}, **HTMX)
    html = response.content.decode()
    assert 'id="flag-counts"' in html and "2 open flags" in html


def test_p_values_read_as_a_reviewer_reads_them(client, cast):
    assert (pvalue(3.2e-07), pvalue(0.0123), pvalue(None)) == ("< 0.001", "0.012", "")
    case = plain_case(cast.territory.cell_a, reporter=cast.reporter)
    evidence = {
        "reports_in_window": 30,
        "period": "2026-11",
        "expected_in_window": 4.1,
        "ratio": 7.3,
        "baseline_reports": 20,
        "baseline_days": 25,
        "p_value": 3.2e-07,
        "reports_per_day": {},
    }
    IntegrityFlag.objects.create(
        rule=Rule.REPORT_BURST, case=case, subject=cast.reporter, evidence=evidence
    )
    client.force_login(cast.staff)
    html = client.get("/integrity/").content.decode()
    assert "&lt; 0.001" in html and "3.2e-07" not in html.split("flag-raw")[0]
