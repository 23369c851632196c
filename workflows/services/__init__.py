"""The transitions of a case, one service function per action (DESIGN §4).

The runner (``runner``) checks, locks and records every step; the actions of the loop are in
``loop``, a resident's reopen request in ``reopen``, a worker's note added to an open case
(not a transition) in ``supplement``, joint handling (吹哨报到: co-departments, summonses,
transfers) in ``joint``; the clocks in ``workflows.clocks``.

Every function takes ``case_id``, ``by`` (the acting user; ``None`` only for the system's
dispatch) and the action's fields, keyword-only, and in one transaction:

1. loads the case from ``by``'s scope with a row lock — ``Http404`` out of scope;
2. checks ``by``'s roles — ``ActionForbidden`` (403) if they may never do the action;
3. checks the state — ``TransitionNotAllowed`` (409) naming the state and what is allowed;
4. checks that ``by`` is the right person for this case (reporter, verifier, handler of the
   case's department) — ``ActionForbidden``;
5. validates the fields — ``ValidationError`` (400) keyed by field;
6. applies the change, starts the next step's deadline on the working calendar, bumps
   ``version``, writes exactly one ``CaseEvent`` (``seq == version``) and saves with
   ``update_fields``; side effects are queued with ``transaction.on_commit``.

Each event's ``payload["changes"]`` holds the ``REPLAYED_FIELDS`` the step changed, so
``replay_events`` rebuilds them from the timeline alone.
"""

from __future__ import annotations

from collections.abc import Callable

from cases.models import Case

from ..clocks import STEP_OF_STATUS, start_step, step_deadline
from .joint import (
    add_codepartment,
    approve_transfer,
    check_in,
    joint_state,
    joint_state_from_events,
    refuse_transfer,
    release_part,
    report_part,
    request_transfer,
    summon,
)
from .loop import (
    accept_and_dispatch_case,
    accept_case,
    approve_extension,
    assign_binding,
    dispatch_case,
    dispatch_to_functional_worker,
    merge_case,
    refuse_extension,
    reject_case,
    report_case,
    request_extension,
    resume_case,
    return_case,
    self_resolve_case,
    start_case,
    suspend_case,
    verify_fail,
    verify_pass,
)
from .reopen import REOPEN_DAYS, decline_reopen, reopen_case, request_reopen
from .runner import (
    REPLAYED_FIELDS,
    replay_events,
    replayed_state,
    run_after_commit,
)
from .supplement import add_to_case

# action name → service, for interfaces that dispatch on the action (API, tests).
SERVICES: dict[str, Callable[..., Case]] = {
    "accept": accept_case,
    "reject": reject_case,
    "merge": merge_case,
    "self_resolve": self_resolve_case,
    "dispatch": dispatch_case,
    "assign_binding": assign_binding,
    "return": return_case,
    "start": start_case,
    "report": report_case,
    "request_extension": request_extension,
    "approve_extension": approve_extension,
    "refuse_extension": refuse_extension,
    "suspend": suspend_case,
    "resume": resume_case,
    "verify_pass": verify_pass,
    "verify_fail": verify_fail,
    "reopen": reopen_case,
    "decline_reopen": decline_reopen,
    "add_codepartment": add_codepartment,
    "report_part": report_part,
    "release_part": release_part,
    "summon": summon,
    "check_in": check_in,
    "request_transfer": request_transfer,
    "approve_transfer": approve_transfer,
    "refuse_transfer": refuse_transfer,
}

__all__ = [
    "REOPEN_DAYS",
    "REPLAYED_FIELDS",
    "SERVICES",
    "STEP_OF_STATUS",
    "accept_and_dispatch_case",
    "accept_case",
    "add_codepartment",
    "add_to_case",
    "approve_extension",
    "approve_transfer",
    "assign_binding",
    "check_in",
    "decline_reopen",
    "dispatch_case",
    "dispatch_to_functional_worker",
    "joint_state",
    "joint_state_from_events",
    "merge_case",
    "refuse_extension",
    "refuse_transfer",
    "reject_case",
    "release_part",
    "reopen_case",
    "replay_events",
    "replayed_state",
    "report_case",
    "report_part",
    "request_extension",
    "request_reopen",
    "request_transfer",
    "resume_case",
    "return_case",
    "run_after_commit",
    "self_resolve_case",
    "start_case",
    "start_step",
    "step_deadline",
    "summon",
    "suspend_case",
    "verify_fail",
    "verify_pass",
]
