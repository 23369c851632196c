"""Writes of the integrity app: storing the rules' findings, and a person's review.

Nothing here touches a case, a grade or a score: a flag is a question, and its answer is
recorded for the record only.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .labels import reviewed_snapshot, rule_config, rule_version
from .models import DismissReason, FlagStatus, IntegrityFlag
from .rules import RULES, FlagDraft, Window
from .rules.base import RELATED
from .selectors import get_flag_for

logger = logging.getLogger(__name__)
CHUNK = timedelta(days=31)


def record_flags(drafts: Iterable[FlagDraft]) -> int:
    """Store the findings that are not stored yet (one flag per rule and case, or rule and
    visit); returns how many were new. A flag already there — open or reviewed — is left as
    it is, so running the rules again never reopens or duplicates anything, nor rewrites
    the evidence of a labelled example. A finding about a stretch of activity
    (``FlagDraft.overlaps``) already covered by a flag is not stored either
    (``_uncovered``). A new flag keeps the thresholds in force and the rule's version
    (``integrity.labels``)."""
    drafts = list(drafts)
    if not drafts:
        return 0
    new = 0
    config = rule_config()
    groups: dict[tuple[str, str], list[FlagDraft]] = {}
    for draft in drafts:
        groups.setdefault((draft.rule, draft.about[0]), []).append(draft)
    for (rule, about), items in groups.items():
        for start in range(0, len(items), 1000):
            batch = {d.about[1]: d for d in items[start : start + 1000]}
            existing = set(
                IntegrityFlag.objects.filter(
                    rule=rule, **{f"{about}__in": sorted(batch)}
                ).values_list(about, flat=True)
            )
            fresh = [d for key, d in batch.items() if key not in existing]
            rows = [
                IntegrityFlag(
                    rule=rule,
                    case_id=d.case_id,
                    visit_id=d.visit_id,
                    subject_id=d.subject_id,
                    related_case_ids=list(d.related_case_ids),
                    related_visit_ids=list(d.related_visit_ids),
                    evidence=d.evidence,
                    rule_config=config,
                    rule_version=rule_version(rule),
                )
                for d in _uncovered(rule, about, fresh)
            ]
            # ignore_conflicts: a concurrent scan may have stored the same finding meanwhile.
            IntegrityFlag.objects.bulk_create(rows, ignore_conflicts=True)
            new += len(rows)
    return new


def _uncovered(rule: str, about: str, drafts: list[FlagDraft]) -> list[FlagDraft]:
    """``drafts`` less the stretches (``FlagDraft.overlaps``) that share a case or visit
    with a flag of ``rule`` about the same worker, whatever its status, or with a stretch
    kept before them here: a later scan finding a burst from another first report must not
    ask again what a reviewer answered. One query, and none without a stretch."""
    subjects = {d.subject_id for d in drafts if d.overlaps}
    if not subjects:
        return drafts
    covered: dict[int, set[int]] = defaultdict(set)
    for subject_id, key, related in IntegrityFlag.objects.filter(
        rule=rule, subject_id__in=subjects
    ).values_list("subject_id", about, RELATED[about]):
        covered[subject_id].update([key, *related])
    kept = []
    for draft in drafts:
        if draft.overlaps:
            if draft.covers & covered[draft.subject_id]:
                continue
            covered[draft.subject_id] |= draft.covers
        kept.append(draft)
    return kept


def run_rules(
    *,
    since: datetime,
    until: datetime | None = None,
    case_ids: Iterable[int] | None = None,
    rules: Iterable[str] | None = None,
) -> dict[str, dict]:
    """Run the rules over ``[since, until)`` (optionally only about ``case_ids``) and store
    their findings. Returns, per rule, ``{"found": …, "new": …, "seconds": …}``.

    A long period is scanned a month at a time (``CHUNK``), so a backfill over years holds
    one month of cases in memory, not all of them; findings on a chunk's edge are stored
    once all the same."""
    until = until or timezone.now()
    case_ids = None if case_ids is None else list(case_ids)
    report = {name: {"found": 0, "new": 0, "seconds": 0.0} for name in rules or RULES}
    found: dict[str, set[tuple[str, int]]] = {name: set() for name in report}
    start = since
    while start < until:
        end = min(start + CHUNK, until)
        window = Window.of(since=start, until=end, case_ids=case_ids)
        for name, row in report.items():
            started = time.monotonic()
            drafts = RULES[name](window)
            found[name].update(d.about for d in drafts)
            row["new"] += record_flags(drafts)
            row["seconds"] = round(row["seconds"] + time.monotonic() - started, 2)
        start = end
    for name, row in report.items():
        row["found"] = len(found[name])
        logger.info("integrity rule %s: %d found, %d new", name, row["found"], row["new"])
    return report


def check_review(*, note: str, reason: str = "", status: str | None = None) -> tuple[str, str]:
    """The ``note`` and dismissal ``reason`` a review is recorded with, stripped.
    ``ValidationError`` by field: no note; a reason not among ``DismissReason``; a reason
    with anything but a dismissal (``status`` None: the decision is not known yet)."""
    note, reason = (note or "").strip(), (reason or "").strip()
    errors = {}
    if not note:
        errors["note"] = _("Say why: a review needs a note.")
    if reason and reason not in DismissReason.values:
        errors["reason"] = _("Choose one of the listed reasons.")
    elif reason and status == FlagStatus.CONFIRMED:
        errors["reason"] = _("A reason is given only when dismissing a flag.")
    if errors:
        raise ValidationError(errors)
    return note, reason


def review_flag(*, flag_id: int, by, status: str, note: str, reason: str = "") -> IntegrityFlag:
    """Record a reviewer's decision (``status``: dismissed or confirmed) on an open flag,
    with the case or visit as it stands now (``reviewed_snapshot``): the flag becomes a
    labelled example. ``Http404`` if ``by`` may not review this flag (outside their street
    or district, or about themself); ``ValidationError`` as ``check_review`` says, or on a
    flag already reviewed."""
    with transaction.atomic():
        flag = get_flag_for(by, flag_id, for_update=True)
        note, reason = check_review(note=note, reason=reason, status=status)
        if flag.status != FlagStatus.OPEN:
            raise ValidationError(
                {
                    "note": _("This flag was already reviewed (%(status)s).")
                    % {"status": flag.get_status_display()}
                }
            )
        flag.status = status
        flag.reviewer = by
        flag.review_note = note
        flag.dismiss_reason = reason
        flag.reviewed_at = timezone.now()
        flag.reviewed_snapshot = reviewed_snapshot(flag)
        flag.save(
            update_fields=[
                "status",
                "reviewer",
                "review_note",
                "dismiss_reason",
                "reviewed_at",
                "reviewed_snapshot",
            ]
        )
    return flag


def dismiss_flag(*, flag_id: int, by, note: str, reason: str = "") -> IntegrityFlag:
    """排除: the finding is explained (a real repeat problem, a quick check on the spot …);
    ``reason``, one of ``DismissReason``, says why the rule was wrong. Errors as
    ``review_flag``."""
    return review_flag(
        flag_id=flag_id, by=by, status=FlagStatus.DISMISSED, note=note, reason=reason
    )


def confirm_flag(*, flag_id: int, by, note: str, reason: str = "") -> IntegrityFlag:
    """确认: the reviewer judges the report or verification not genuine. Recorded only —
    what follows is for people to decide, not this system. ``reason`` must be blank (it is
    taken so that one form can post either decision). Errors as ``review_flag``."""
    return review_flag(
        flag_id=flag_id, by=by, status=FlagStatus.CONFIRMED, note=note, reason=reason
    )
