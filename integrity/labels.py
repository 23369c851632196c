"""Reviewed flags as labelled examples (复核样本) for tuning the rules.

What the rule saw is written when the flag is raised (``rule_config``, ``rule_version``,
beside the rule's own ``evidence``); what the reviewer judged is written with the decision
(``reviewed_snapshot``). Neither is touched again, so a re-scan, a change of thresholds or
of a rule's code, or a later edit of the case leaves the example as it was judged.
``manage.py export_review_labels`` reads them out.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache

from cases.models import Case
from residents.models import Visit

from .conf import DEFAULTS, setting
from .models import FlagStatus, IntegrityFlag
from .rules import RULES

# What a reviewer judges a case or a visit by; ids, not names, and no free text that may be
# about residents (a case's description and address, a visit's note): the export is for
# tuning thresholds and leaves the screen.
CASE_FIELDS = (
    "number",
    "title",
    "category__code",
    "status",
    "lon",
    "lat",
    "cell_id",
    "reporter_id",
    "created_at",
)
VISIT_FIELDS = (
    "household_id",
    "worker_id",
    "visited_at",
    "lon",
    "lat",
    "accuracy_m",
    "fixed_at",
    "fix_cell_id",
)
# One exported example: the flag's own columns, named as in the model.
EXPORT_FIELDS = (
    "id",
    "rule",
    "rule_version",
    "status",
    "dismiss_reason",
    "review_note",
    "reviewer_id",
    "reviewed_at",
    "created_at",
    "case_id",
    "visit_id",
    "subject_id",
    "related_case_ids",
    "related_visit_ids",
    "rule_config",
    "evidence",
    "reviewed_snapshot",
)


def rule_config() -> dict:
    """Every integrity threshold in force (``integrity.conf``), as settings override them."""
    return {name: setting(name) for name in DEFAULTS}


@cache
def rule_version(rule: str) -> str:
    """A short fingerprint of the code of the module that holds ``rule``: it changes when
    the rule is rewritten, so examples judged under an older rule can be told apart
    ("" for a rule this code no longer has)."""
    try:
        source = inspect.getsource(inspect.getmodule(RULES[rule]))
    except (KeyError, TypeError, OSError):
        return ""
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def reviewed_snapshot(flag: IntegrityFlag) -> dict:
    """The case (or visit) the flag is about, as it stands now: taken when it is reviewed.
    One query; ``{}`` if the row is gone."""
    if flag.case_id:
        row = Case.objects.filter(pk=flag.case_id).values(*CASE_FIELDS).first()
    else:
        row = Visit.objects.filter(pk=flag.visit_id).values(*VISIT_FIELDS).first()
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in (row or {}).items()
    }


def labelled_examples(
    *, rules: Iterable[str] | None = None, since: datetime | None = None
) -> Iterator[dict]:
    """The reviewed flags (confirmed or dismissed), oldest review first, as plain dicts of
    ``EXPORT_FIELDS``; streamed, so an export of years holds one chunk in memory."""
    flags = IntegrityFlag.objects.exclude(status=FlagStatus.OPEN)
    if rules:
        flags = flags.filter(rule__in=list(rules))
    if since is not None:
        flags = flags.filter(reviewed_at__gte=since)
    return flags.order_by("reviewed_at", "id").values(*EXPORT_FIELDS).iterator(chunk_size=2000)
