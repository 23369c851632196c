"""The integrity rules (DESIGN §5). Each is a function ``rule(window) -> list[FlagDraft]``
that reads cases (or visits) in the window and returns findings with their evidence; nothing
is stored here (``integrity.services.run_rules`` stores them, once per rule and case or
visit, and once per stretch of a worker's activity)."""

from __future__ import annotations

from collections.abc import Callable

from ..models import Rule
from .base import FlagDraft, Window
from .bursts import report_bursts
from .duplicates import near_duplicates
from .photos import reused_photos
from .self_resolve import unchecked_self_resolves
from .verification import verifications_too_fast, verifications_without_evidence
from .visits import visit_runs, visits_outside_cell

RULES: dict[str, Callable[[Window], list[FlagDraft]]] = {
    Rule.NEAR_DUPLICATE: near_duplicates,
    Rule.REUSED_PHOTO: reused_photos,
    Rule.VERIFICATION_NO_EVIDENCE: verifications_without_evidence,
    Rule.VERIFICATION_TOO_FAST: verifications_too_fast,
    Rule.REPORT_BURST: report_bursts,
    Rule.SELF_RESOLVE_UNCHECKED: unchecked_self_resolves,
    Rule.VISIT_OUTSIDE_CELL: visits_outside_cell,
    Rule.VISIT_RUN: visit_runs,
}

__all__ = ["RULES", "FlagDraft", "Window"]
