"""The case state machine as one table (DESIGN §4 "States and transitions").

``TRANSITIONS[action]`` says from which states an action may run, the state it leads to,
the roles that may ever do it, the fields it needs, and per-case rules:

- ``who`` — is *this* user the right person for *this* case (the reporting worker, the
  assigned verifier, a handler of the case's department)? Failing it is a 403.
- ``when`` — a condition on the case beyond its state (an extension must be pending before
  it can be approved). Failing it is a 409, like a wrong state, with ``refusal`` saying why.

Scope (which cases a user may see at all) is not here: ``cases.selectors`` applies it, and
an out-of-scope case is a 404 before any rule of this table is asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseStatus
from grids.models import Role
from grids.selectors import active_assignments

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
    def of(cls, user) -> Actor:
        if user is None:
            return cls(user=None)
        rows = list(active_assignments(user).values_list("role", "department_id"))
        return cls(
            user=user,
            roles=frozenset(role for role, _dept in rows),
            handler_departments=frozenset(
                dept for role, dept in rows if role == Role.HANDLER and dept
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


def _t(sources, target, roles, required=(), **extra) -> Transition:
    return Transition(frozenset(sources), target, frozenset(roles), tuple(required), **extra)


NO_EXTENSION_PENDING = _("No extension request is waiting for a decision.")

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
    "report": _t({S.HANDLING}, S.FEEDBACK, HANDLING, ["note"], who=_is_case_handler),
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
