"""Self-resolved cases never re-checked (就地解决未复核).

A worker who fixes a problem on the spot (``self_resolve``) both reports and resolves it, so
the design has someone else verify it. Flagged: a case resolved on the spot whose result no
one other than the resolver has verified (``verify_pass`` or ``verify_fail``) since —

- ``checked_only_by_resolver``: every verification after it was by the resolver themself
  (the services never allow it; it shows up in imported or hand-edited data), or
- ``never_checked``: no verification at all ``INTEGRITY_SELF_RESOLVE_WAIT_HOURS`` (72) after
  the self-resolve.

Looks at self-resolves from ``since − wait`` on, so each periodic run sees every case as it
crosses the waiting time. The subject is the worker who resolved it.
"""

from __future__ import annotations

from cases.models import Case, CaseEvent

from ..conf import hours
from ..models import Rule
from .base import FlagDraft, Window, chunks, iso

_CHECKS = ("verify_pass", "verify_fail")


def unchecked_self_resolves(window: Window) -> list[FlagDraft]:
    wait = hours("INTEGRITY_SELF_RESOLVE_WAIT_HOURS")
    candidates = {
        c["id"]: c
        for c in window.narrow(
            Case.objects.filter(
                accepted_at__isnull=True,
                reported_at__isnull=False,
                reported_at__gte=window.since - wait,
                reported_at__lt=window.until,
            )
        ).values("id", "number", "status", "verifier_id", "cross_check")
    }
    drafts = []
    for ids in chunks(sorted(candidates)):
        timelines: dict[int, list[dict]] = {}
        for event in (
            CaseEvent.objects.filter(case_id__in=ids, action__in=("self_resolve", *_CHECKS))
            .order_by("case_id", "seq")
            .values("case_id", "seq", "action", "actor_id", "at", "note")
        ):
            timelines.setdefault(event["case_id"], []).append(event)
        for case_id in ids:
            timeline = timelines.get(case_id, [])
            resolved = next((e for e in timeline if e["action"] == "self_resolve"), None)
            if resolved is None:
                continue
            checks = [e for e in timeline if e["action"] in _CHECKS and e["seq"] > resolved["seq"]]
            if any(e["actor_id"] != resolved["actor_id"] for e in checks):
                continue
            waited = window.until - resolved["at"]
            if checks:
                reason = "checked_only_by_resolver"
            elif waited >= wait:
                reason = "never_checked"
            else:
                continue
            case = candidates[case_id]
            drafts.append(
                FlagDraft(
                    rule=Rule.SELF_RESOLVE_UNCHECKED,
                    case_id=case_id,
                    subject_id=resolved["actor_id"],
                    evidence={
                        "reason": reason,
                        "self_resolved_at": iso(resolved["at"]),
                        "self_resolved_by_id": resolved["actor_id"],
                        "self_resolve_note": resolved["note"],
                        "status": case["status"],
                        "assigned_verifier_id": case["verifier_id"],
                        "hours_since": round(waited.total_seconds() / 3600, 1),
                        "checks": [
                            {"action": e["action"], "by_id": e["actor_id"], "at": iso(e["at"])}
                            for e in checks
                        ],
                        "thresholds": {"wait_hours": wait.total_seconds() / 3600},
                    },
                )
            )
    return drafts
