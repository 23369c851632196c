"""The case state machine as one table (DESIGN §4 "States and transitions").

``TRANSITIONS[action]`` says from which states an action may run, the state it leads to,
the roles that may ever do it, the fields it needs, and per-case rules:

- ``who`` — is *this* user the right person for *this* case (the reporting worker, the
  assigned verifier, a handler of the case's department)? Failing it is a 403.
- ``when`` — a condition on the case beyond its state (an extension must be pending before
  it can be approved). Failing it is a 409, like a wrong state, with ``refusal`` saying why.

- ``waits`` — a condition under which the step is recorded but the case stays in its state:
  the lead department's report waits while co-departments' parts are open (吹哨报到), and the
  last part reported or released moves the case on (``target_state``). A target of ``SAME``
  is a step that never changes the state (a summons, a check-in, a transfer request).

Scope (which cases a user may see at all) is not here: ``cases.selectors`` applies it, and
an out-of-scope case is a 404 before any rule of this table is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseStatus
from grids.models import Role
from grids.selectors import AssignmentRow, assignment_rows

S = CaseStatus
# Field workers who resolve on the spot and verify (a functional worker only service cases).
WORKER_ROLES = frozenset({Role.GRID_WORKER, Role.FUNCTIONAL_WORKER})


@dataclass(frozen=True)
class Actor:
    """Who acts: a user's active roles and the departments they handle for.

    ``user`` None is the system (the routing task): it passes role and ``who`` checks.
    """

    user: object | None
    roles: frozenset[str] = frozenset()
    handler_departments: frozenset[int] = frozenset()

    @classmethod
    def of(cls, user, assignments: Sequence[AssignmentRow] | None = None) -> Actor:
        """``user``'s roles today: from ``assignments`` (their current assignments as
        ``grids.selectors.assignment_rows``) when the caller has read them, else read here."""
        if user is None:
            return cls(user=None)
        rows = assignment_rows(user) if assignments is None else assignments
        return cls(
            user=user,
            roles=frozenset(row[0] for row in rows),
            handler_departments=frozenset(
                row[6] for row in rows if row[0] == Role.HANDLER and row[6]
            ),
        )

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def user_id(self) -> int | None:
        return None if self.user is None else self.user.pk


def _is_reporter(case: Case, actor: Actor) -> bool:
    return actor.user_id is not None and case.reporter_id == actor.user_id


def _is_verifier(case: Case, actor: Actor) -> bool:
    # The handler never verifies their own work, even if named verifier by stale data.
    return (
        actor.user_id is not None
        and case.verifier_id == actor.user_id
        and case.handler_id != actor.user_id
    )


def _is_case_handler(case: Case, actor: Actor) -> bool:
    """A handler of the case's department (and its named handler, if any) — or, for a
    service case dispatched to a functional worker (no department), that worker."""
    if case.department_id is None:
        return (
            case.handler_id is not None
            and case.handler_id == actor.user_id
            and Role.FUNCTIONAL_WORKER in actor.roles
        )
    return case.department_id in actor.handler_departments and case.handler_id in (
        None,
        actor.user_id,
    )


def _has_open_part(case: Case, actor: Actor) -> bool:
    """A handler of a co-department whose part of this case is open (协办)."""
    return bool(actor.handler_departments & case.joint_departments(open_parts=True))


def _is_summoned(case: Case, actor: Actor) -> bool:
    """A handler of a department summoned to this case and not yet checked in (吹哨)."""
    return bool(actor.handler_departments & case.joint_departments(pending_summons=True))


def _lead_not_reported(case: Case) -> bool:
    return case.lead_reported_at is None


def _parts_open(case: Case) -> bool:
    return case.open_parts > 0


def _joint_unfinished(case: Case) -> bool:
    """The lead has not reported yet, or a co-department's part is still open."""
    return case.lead_reported_at is None or case.open_parts > 0


def _summons_pending(case: Case) -> bool:
    return case.pending_summons > 0


def _no_transfer_pending(case: Case) -> bool:
    return case.transfer_to_id is None


def _transfer_pending(case: Case) -> bool:
    return case.transfer_to_id is not None


def _extension_pending(case: Case) -> bool:
    return case.requested_due_at is not None


def _reopen_pending(case: Case) -> bool:
    return case.reopen_requested_at is not None


def _not_awaiting_binding(case: Case) -> bool:
    return not case.awaiting_binding


def _awaiting_binding(case: Case) -> bool:
    return case.awaiting_binding


def _not_bound(case: Case) -> bool:
    return not case.binding


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    required: tuple[str, ...] = ()
    system_may: bool = False
    who: Callable[[Case, Actor], bool] | None = None
    when: Callable[[Case], bool] | None = None
    refusal: str = ""  # why, when ``when`` fails
    waits: Callable[[Case], bool] | None = None  # recorded, but the case stays where it is


def _t(sources, target, roles, required=(), **extra) -> Transition:
    return Transition(frozenset(sources), target, frozenset(roles), tuple(required), **extra)


NO_EXTENSION_PENDING = _("No extension request is waiting for a decision.")
NO_TRANSFER_PENDING = _("No transfer request is waiting for a decision.")
SAME = ""  # the target of a step that leaves the case in the state it is in
IN_HAND = {S.DISPATCHED, S.HANDLING}  # with a department: joint handling happens here

STAFF = {Role.STREET_STAFF}
HANDLER = {Role.HANDLER}
# Who handles: a department's handler, or the functional worker a service case went to.
HANDLING = {Role.HANDLER, Role.FUNCTIONAL_WORKER}
DISTRICT = {Role.DISTRICT_ADMIN}

TRANSITIONS: dict[str, Transition] = {
    "accept": _t({S.COLLECTED}, S.ACCEPTED, STAFF),
    "reject": _t({S.COLLECTED}, S.REJECTED, STAFF, ["reason"]),
    "merge": _t({S.COLLECTED}, S.REJECTED, STAFF, ["duplicate_of"]),
    "self_resolve": _t({S.COLLECTED}, S.FEEDBACK, WORKER_ROLES, ["note"], who=_is_reporter),
    "dispatch": _t(
        {S.ACCEPTED},
        S.DISPATCHED,
        STAFF,
        ["department"],
        system_may=True,
        when=_not_awaiting_binding,
        refusal=_(
            "It was returned twice: a district administrator assigns it to a department (指定承办)."
        ),
    ),
    # 指定承办: a case returned twice is dispatched by the district, and stays there.
    "assign_binding": _t(
        {S.ACCEPTED},
        S.DISPATCHED,
        DISTRICT,
        ["department"],
        when=_awaiting_binding,
        refusal=_("Only a case returned twice waits for a binding assignment."),
    ),
    "return": _t(
        {S.DISPATCHED},
        S.ACCEPTED,
        HANDLER,
        ["reason"],
        who=_is_case_handler,
        when=_not_bound,
        refusal=_(
            "The district assigned it to your department (指定承办, a binding assignment): it "
            "cannot be returned. Ask for an extension if you need more time."
        ),
    ),
    "start": _t({S.DISPATCHED}, S.HANDLING, HANDLING, who=_is_case_handler),
    # The lead's report waits in handling while co-departments' parts are open (吹哨报到).
    "report": _t(
        {S.HANDLING},
        S.FEEDBACK,
        HANDLING,
        ["note"],
        who=_is_case_handler,
        when=_lead_not_reported,
        refusal=_("Your department has reported; the case waits for the co-departments' parts."),
        waits=_parts_open,
    ),
    "request_extension": _t(
        {S.HANDLING}, S.HANDLING, HANDLING, ["reason", "due_at"], who=_is_case_handler
    ),
    "approve_extension": _t(
        {S.HANDLING}, S.HANDLING, STAFF, when=_extension_pending, refusal=NO_EXTENSION_PENDING
    ),
    # 延期驳回: the deadline stays; the handler is told why.
    "refuse_extension": _t(
        {S.HANDLING},
        S.HANDLING,
        STAFF,
        ["reason"],
        when=_extension_pending,
        refusal=NO_EXTENSION_PENDING,
    ),
    "suspend": _t({S.HANDLING}, S.SUSPENDED, STAFF, ["reason", "review_at"]),
    "resume": _t({S.SUSPENDED}, S.HANDLING, STAFF),
    "verify_pass": _t({S.FEEDBACK}, S.CLOSED, WORKER_ROLES, ["note"], who=_is_verifier),
    "verify_fail": _t({S.FEEDBACK}, S.DISPATCHED, WORKER_ROLES, ["reason"], who=_is_verifier),
    # 吹哨报到 joint handling (cases.models.joint). A part reported or released last, after the
    # lead's report, moves the case to feedback.
    "add_codepartment": _t(IN_HAND, SAME, STAFF, ["department", "note"]),
    "report_part": _t(
        IN_HAND,
        S.FEEDBACK,
        HANDLER,
        ["note"],
        who=_has_open_part,
        when=_parts_open,
        refusal=_("No co-department's part of this case is open."),
        waits=_joint_unfinished,
    ),
    "release_part": _t(
        IN_HAND,
        S.FEEDBACK,
        STAFF,
        ["department", "reason"],
        when=_parts_open,
        refusal=_("No co-department's part of this case is open."),
        waits=_joint_unfinished,
    ),
    "summon": _t(IN_HAND, SAME, STAFF, ["departments"]),
    "check_in": _t(
        IN_HAND,
        SAME,
        HANDLER,
        ["lon", "lat"],
        who=_is_summoned,
        when=_summons_pending,
        refusal=_("No department is waiting to check in on this case."),
    ),
    # 转办: the clock runs on and the record stays with the department that held the case.
    "request_transfer": _t(
        IN_HAND,
        SAME,
        HANDLING,
        ["department", "reason"],
        who=_is_case_handler,
        when=_no_transfer_pending,
        refusal=_("A transfer request is already waiting for the street's decision."),
    ),
    "approve_transfer": _t(
        IN_HAND, S.DISPATCHED, STAFF, when=_transfer_pending, refusal=NO_TRANSFER_PENDING
    ),
    "refuse_transfer": _t(
        IN_HAND, SAME, STAFF, ["reason"], when=_transfer_pending, refusal=NO_TRANSFER_PENDING
    ),
    # A resident's "not fixed" on a closed case (ReopenRequest), decided by street staff.
    "reopen": _t({S.CLOSED}, S.DISPATCHED, STAFF, when=_reopen_pending),
    "decline_reopen": _t({S.CLOSED}, S.CLOSED, STAFF, ["reason"], when=_reopen_pending),
}
ACTIONS: tuple[str, ...] = tuple(TRANSITIONS)
# What each action is called on a button or in a message.
ACTION_LABELS: dict[str, str] = {
    "accept": _("accept"),
    "reject": _("reject"),
    "merge": _("merge"),
    "self_resolve": _("resolve on the spot"),
    "dispatch": _("dispatch"),
    "assign_binding": _("assign (binding)"),
    "return": _("return"),
    "start": _("start"),
    "report": _("report the result"),
    "request_extension": _("request an extension"),
    "approve_extension": _("approve the extension"),
    "refuse_extension": _("refuse the extension"),
    "suspend": _("suspend"),
    "resume": _("resume"),
    "verify_pass": _("verify and close"),
    "verify_fail": _("send back for rework"),
    "reopen": _("reopen as rework"),
    "add_codepartment": _("add a co-department (协办)"),
    "report_part": _("report your part (协办反馈)"),
    "release_part": _("release a co-department (解除协办)"),
    "summon": _("summon departments (吹哨)"),
    "check_in": _("check in on site (报到)"),
    "request_transfer": _("request a transfer (转办)"),
    "approve_transfer": _("approve the transfer"),
    "refuse_transfer": _("refuse the transfer"),
    "decline_reopen": _("decline the reopen request"),
}


def role_may(action: str, actor: Actor) -> bool:
    """May this actor's roles ever do ``action`` (on any case)?"""
    transition = TRANSITIONS[action]
    if actor.is_system:
        return transition.system_may
    return bool(transition.roles & actor.roles)


def state_allows(action: str, case: Case) -> bool:
    """Does the case's state (and any ``when`` condition) allow ``action`` now?"""
    transition = TRANSITIONS[action]
    return case.status in transition.sources and (transition.when is None or transition.when(case))


def target_state(action: str, case: Case) -> str:
    """The state ``action`` leaves the case in, asked after its fields were applied: its
    target, unless the step never moves the case (``SAME``) or ``waits`` holds it."""
    transition = TRANSITIONS[action]
    if transition.target == SAME or (transition.waits is not None and transition.waits(case)):
        return case.status
    return transition.target


def refusal(action: str, case: Case) -> str:
    """Why the case's condition refuses ``action`` although its state would allow it (the
    ``when`` rule); "" when the state itself is the reason."""
    transition = TRANSITIONS[action]
    if case.status in transition.sources and transition.when and not transition.when(case):
        return str(transition.refusal)
    return ""


def actor_fits(action: str, case: Case, actor: Actor) -> bool:
    """Is the actor the right person for this case (the ``who`` rule; the system always is)?"""
    transition = TRANSITIONS[action]
    return actor.is_system or transition.who is None or transition.who(case, actor)


def allowed_actions(case: Case, user, *, actor: Actor | None = None) -> list[str]:
    """The actions ``user`` may take on ``case`` now: state, role and per-case rules.

    Assumes the case is in the user's scope (selectors decide that). ``actor`` may be passed
    to reuse the roles already loaded for this user.
    """
    actor = actor or Actor.of(user)
    return [
        action
        for action in ACTIONS
        if role_may(action, actor)
        and state_allows(action, case)
        and actor_fits(action, case, actor)
    ]
