"""Reviewed flags are labelled examples (issue 19, item 4): a decision keeps what the rule
saw (evidence, thresholds in force, rule version) and the case as judged, through re-scans,
threshold changes and later edits of the case; a dismissal may say why the rule was wrong,
from a fixed list; single and bulk reviews record the same; and the examples export."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from cases.models import Case
from integrity.models import DismissReason, FlagStatus, IntegrityFlag, Rule
from integrity.services import confirm_flag, dismiss_flag, run_rules

from .conftest import plain_case
from .test_pages import HTMX, make_flags

pytestmark = pytest.mark.django_db
LABEL_FIELDS = (
    "status",
    "dismiss_reason",
    "review_note",
    "reviewer_id",
    "reviewed_at",
    "evidence",
    "related_case_ids",
    "related_visit_ids",
    "rule_config",
    "rule_version",
    "reviewed_snapshot",
)


@pytest.fixture
def copied(cast, settings):
    """A report filed again verbatim at the same spot a day later, flagged by a scan under a
    similarity threshold set for the test (so the label must carry that one). A district of
    two reports has nothing to weigh a wording against, so chance is let through."""
    settings.INTEGRITY_DUPLICATE_MIN_SIMILARITY = 0.25
    settings.INTEGRITY_DUPLICATE_MAX_CHANCE = 1.0
    now = timezone.now()
    plain_case(cast.territory.cell_a, reporter=cast.reporter, at=now - timedelta(hours=30))
    copy = plain_case(cast.territory.cell_a, reporter=cast.reporter, at=now - timedelta(hours=2))
    run_rules(since=now - timedelta(days=2), rules=[Rule.NEAR_DUPLICATE])
    return IntegrityFlag.objects.get(rule=Rule.NEAR_DUPLICATE, case=copy)


def label_of(flag: IntegrityFlag) -> dict:
    flag.refresh_from_db()
    return {name: getattr(flag, name) for name in LABEL_FIELDS}


def test_a_flag_keeps_the_thresholds_and_rule_version_it_was_raised_under(copied):
    assert copied.rule_config["INTEGRITY_DUPLICATE_MIN_SIMILARITY"] == 0.25
    assert copied.rule_config["INTEGRITY_DUPLICATE_RADIUS_M"] == 30.0
    assert len(copied.rule_version) == 12
    assert copied.evidence["matches"]  # the rule's own evidence, beside them


def test_a_label_survives_rescans_threshold_changes_and_case_edits(copied, cast, settings):
    dismiss_flag(
        flag_id=copied.pk,
        by=cast.staff,
        note="井盖确实两次丢失，物业已证实",
        reason=DismissReason.RECURRING,
    )
    before = label_of(copied)
    assert before["status"] == FlagStatus.DISMISSED
    assert before["dismiss_reason"] == DismissReason.RECURRING
    assert before["reviewed_snapshot"]["title"] == "井盖丢失"
    assert before["reviewed_snapshot"]["number"] == copied.case.number
    # No free text that may be about residents leaves with the labels.
    assert not {"description", "address", "note"} & set(before["reviewed_snapshot"])

    # The rule is retuned, the case edited, and the rules run again (whole and narrowed).
    settings.INTEGRITY_DUPLICATE_MIN_SIMILARITY = 0.5
    settings.INTEGRITY_DUPLICATE_RADIUS_M = 200.0
    Case.objects.filter(pk=copied.case_id).update(
        title="井盖已补装", description="物业已补装井盖", lon=116.4051
    )
    since = timezone.now() - timedelta(days=2)
    report = run_rules(since=since, rules=[Rule.NEAR_DUPLICATE])
    run_rules(since=since, case_ids=[copied.case_id], rules=[Rule.NEAR_DUPLICATE])

    assert report[Rule.NEAR_DUPLICATE]["new"] == 0
    assert IntegrityFlag.objects.filter(case=copied.case_id).count() == 1
    assert label_of(copied) == before


def test_a_dismissed_finding_is_not_raised_again_by_the_next_scans(copied, cast):
    # Held before issue 19 (one flag per rule and case): kept here as the labels rely on it.
    dismiss_flag(flag_id=copied.pk, by=cast.staff, note="同一问题复发")
    for days in (2, 1):
        report = run_rules(since=timezone.now() - timedelta(days=days))
        assert report[Rule.NEAR_DUPLICATE] | {"seconds": 0} == {"found": 1, "new": 0, "seconds": 0}
    copied.refresh_from_db()
    assert copied.status == FlagStatus.DISMISSED
    assert IntegrityFlag.objects.filter(rule=Rule.NEAR_DUPLICATE).count() == 1


@pytest.mark.parametrize("reason", ["bogus", "Recurring", "recurring\x00"])
def test_a_dismissal_reason_must_be_one_of_the_choices(reason, copied, cast, client):
    with pytest.raises(ValidationError) as raised:
        dismiss_flag(flag_id=copied.pk, by=cast.staff, note="见现场", reason=reason)
    assert "reason" in raised.value.message_dict
    client.force_login(cast.staff)
    posted = {"note": "见现场", "reason": reason}
    response = client.post(f"/integrity/{copied.pk}/dismiss/", posted, **HTMX)
    assert response.status_code == 400
    assert 'data-field="reason"' in response.content.decode()
    bulk = {"decision": "dismiss", "flag": [copied.pk], **posted}
    response = client.post("/integrity/bulk/", bulk, **HTMX)
    assert response.status_code == 400
    assert 'data-field="reason"' in response.content.decode()
    copied.refresh_from_db()
    assert (copied.status, copied.dismiss_reason) == (FlagStatus.OPEN, "")


def test_a_reason_is_refused_with_a_confirmation(copied, cast, client):
    with pytest.raises(ValidationError) as raised:
        confirm_flag(flag_id=copied.pk, by=cast.staff, note="虚报", reason="recurring")
    assert "reason" in raised.value.message_dict
    client.force_login(cast.staff)
    posted = {"note": "虚报", "reason": "recurring"}
    response = client.post(f"/integrity/{copied.pk}/confirm/", posted, **HTMX)
    assert response.status_code == 400
    assert "only when dismissing" in response.content.decode()
    bulk = {"decision": "confirm", "flag": [copied.pk], **posted}
    assert client.post("/integrity/bulk/", bulk, **HTMX).status_code == 400
    copied.refresh_from_db()
    assert copied.status == FlagStatus.OPEN


def test_the_page_records_and_shows_the_reason(copied, cast, client):
    client.force_login(cast.staff)
    page = client.get("/integrity/").content.decode()
    assert 'name="reason"' in page and 'value="same_event"' in page
    posted = {"note": "两名网格员各自上报同一起事件", "reason": "same_event"}
    response = client.post(f"/integrity/{copied.pk}/dismiss/", posted, **HTMX)
    assert response.status_code == 200
    assert 'data-testid="dismiss-reason"' in response.content.decode()
    assert "same event, different reporters" in response.content.decode()
    copied.refresh_from_db()
    assert copied.dismiss_reason == DismissReason.SAME_EVENT
    assert copied.reviewed_snapshot["number"] == copied.case.number


def test_bulk_review_records_labels_the_same_way(cast, client):
    flags = make_flags(cast, 3)
    client.force_login(cast.staff)
    posted = {
        "decision": "dismiss",
        "note": "同一处反复出现的问题",
        "reason": "recurring",
        "flag": [f.pk for f in flags],
    }
    assert client.post("/integrity/bulk/", posted, **HTMX).status_code == 200
    for flag in flags:
        flag.refresh_from_db()
        assert (flag.status, flag.dismiss_reason, flag.reviewer) == (
            FlagStatus.DISMISSED,
            DismissReason.RECURRING,
            cast.staff,
        )
        assert flag.reviewed_snapshot["title"] == flag.case.title


def test_the_labelled_examples_export_as_json_lines_and_csv(copied, cast, tmp_path):
    dismiss_flag(flag_id=copied.pk, by=cast.staff, note="同一问题复发", reason="recurring")
    other = make_flags(cast, 2)
    confirm_flag(flag_id=other[0].pk, by=cast.staff, note="虚报")  # a reused photo
    # other[1], a near-duplicate, stays open: not an example

    out, err = io.StringIO(), io.StringIO()
    call_command("export_review_labels", stdout=out, stderr=err)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["id"], r["status"]) for r in rows] == [
        (copied.pk, "dismissed"),
        (other[0].pk, "confirmed"),
    ]
    first = rows[0]
    assert first["rule"] == Rule.NEAR_DUPLICATE and first["dismiss_reason"] == "recurring"
    assert first["rule_config"]["INTEGRITY_DUPLICATE_MIN_SIMILARITY"] == 0.25
    assert first["evidence"]["matches"] and first["reviewed_snapshot"]["title"] == "井盖丢失"
    assert "2 labelled examples" in err.getvalue()

    target = tmp_path / "labels.csv"
    call_command(
        "export_review_labels",
        "--format",
        "csv",
        "--rule",
        Rule.NEAR_DUPLICATE,
        "-o",
        str(target),
        stderr=err,
    )
    with target.open(encoding="utf-8", newline="") as written:
        (row,) = list(csv.DictReader(written))
    assert row["id"] == str(copied.pk) and row["dismiss_reason"] == "recurring"
    assert json.loads(row["evidence"]) == copied.evidence
