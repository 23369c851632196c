"""The transitions of a case, one service function per action (DESIGN §4).

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

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    OPEN_STATUSES,
    Attachment,
    Case,
    CaseEvent,
    CaseStatus,
    Category,
    Priority,
    ReopenRequest,
)
from cases.photos import PreparedPhoto, prepare_photos
from cases.selectors import cases_visible_to, fileable_category, get_case_for
from grids.models import Assignment, Department, Role
from grids.selectors import visible_cells

from .calendar import LimitUnit, TimeLimit, WorkingCalendar
from .errors import ActionForbidden, ReopenClosed, TransitionNotAllowed
from .transitions import (
    ACTION_LABELS,
    TRANSITIONS,
    Actor,
    actor_fits,
    allowed_actions,
    role_may,
    state_allows,
)
from .verification import assign_verifier

S = CaseStatus
# Fields rebuilt by replay_events from the events' payloads.
REPLAYED_FIELDS = (
    "status",
    "category_id",
    "priority",
    "cell_id",
    "street_id",
    "department_id",
    "handler_id",
    "verifier_id",
    "cross_check",
    "rework_count",
    "duplicate_of_id",
)
# The time-limited step (Category.limit_for) a case is in while in each state. Suspended,
# rejected and closed cases have no running deadline.
STEP_OF_STATUS = {
    S.COLLECTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "handle",
    S.HANDLING: "handle",
    S.FEEDBACK: "verify",
}
REMIND_FRACTION = "0.8"


# --- deadlines --------------------------------------------------------------------------------


def step_deadline(
    *,
    category: Category,
    priority: str,
    step: str,
    start: datetime,
    calendar: WorkingCalendar | None = None,
) -> tuple[datetime, datetime]:
    """``(due_at, remind_at)`` of ``step`` started at ``start``: the category's limit for the
    priority on the working calendar (urgent: calendar hours), and 80 % of it (催办)."""
    amount, unit = category.limit_for(step, priority)
    limit = TimeLimit(amount, unit)
    calendar = calendar or WorkingCalendar.cached(around=timezone.localdate(start))
    return calendar.add(start, limit), calendar.add(start, limit.scaled(REMIND_FRACTION))


def reminder_point(
    *, start: datetime, due: datetime, unit: str, calendar: WorkingCalendar | None = None
) -> datetime:
    """催办 point of a step running from ``start`` to ``due``: 80 % of the time between them,
    in working time for working-hour/day limits, in elapsed time for urgent ones."""
    if unit == LimitUnit.CALENDAR_HOURS:
        return start + (due - start) * float(REMIND_FRACTION)
    calendar = calendar or WorkingCalendar.cached(around=timezone.localdate(start))
    hours = Decimal(calendar.between(start, due).total_seconds()) / 3600
    return calendar.add(start, TimeLimit(hours, LimitUnit.WORKING_HOURS).scaled(REMIND_FRACTION))


def start_step(case: Case, *, now: datetime) -> None:
    """Start the clock of the step ``case.status`` is in: reset overdue and escalation."""
    step = STEP_OF_STATUS.get(case.status)
    case.step_started_at = now
    case.overdue = False
    case.escalation_level = 0
    case.reminded_for = case.red_at = None  # the SLA scanner's marks are per step
    case.requested_due_at = None
    if step is None:
        case.due_at = case.remind_at = None
    else:
        case.due_at, case.remind_at = step_deadline(
            category=case.category, priority=case.priority, step=step, start=now
        )


# --- events and replay ------------------------------------------------------------------------


def replayed_state(case: Case) -> dict:
    return {name: getattr(case, name) for name in REPLAYED_FIELDS}


def replay_events(events: Iterable[CaseEvent]) -> dict:
    """Rebuild the ``REPLAYED_FIELDS`` of a case from its events, in ``seq`` order.

    Raises ``ValueError`` if the chain is broken: a gap in ``seq``, or an event whose
    ``from_status`` is not the status the previous events led to.
    """
    state: dict = dict.fromkeys(REPLAYED_FIELDS)
    state["status"] = ""
    for expected_seq, event in enumerate(sorted(events, key=lambda e: e.seq), start=1):
        if event.seq != expected_seq:
            raise ValueError(f"event seq {event.seq} where {expected_seq} was expected")
        if event.from_status != state["status"]:
            raise ValueError(
                f"event {event.seq} ({event.action}) starts from {event.from_status!r} "
                f"but the case was {state['status']!r}"
            )
        state.update(event.payload.get("changes", {}))
        state["status"] = event.to_status
    return state


def _concrete_values(case: Case) -> dict:
    return {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}


def _save_with_event(
    case: Case,
    *,
    before: dict,
    action: str,
    from_status: str,
    actor: Actor,
    now: datetime,
    note: str = "",
    payload: dict | None = None,
    photos: Sequence[PreparedPhoto] = (),
    photo_stage: str = "",
) -> CaseEvent:
    """Bump the version, save the changed columns, write the event and its photos."""
    case.version += 1
    after = _concrete_values(case)
    case.save(update_fields=[name for name, value in after.items() if before[name] != value])
    changes = {
        name: after[name]
        for name in REPLAYED_FIELDS
        if name != "status" and before[name] != after[name]
    }
    event = CaseEvent.objects.create(
        case=case,
        seq=case.version,
        action=action,
        from_status=from_status,
        to_status=case.status,
        actor=actor.user,
        at=now,
        note=note,
        payload={"changes": changes, **(payload or {})},
    )
    for photo in photos:
        Attachment.build(case=case, stage=photo_stage, photo=photo, event=event).save()
    return event


def _prepared_before_lock(photos: Sequence) -> Sequence:
    """``photos`` prepared before the case is locked (decoding takes a tenth of a second or
    more a photo, and on SQLite the lock is the whole database's). If they are refused, the
    files as they came, for ``prepare_photos`` to refuse in their turn, after the state checks,
    so a closed case still answers 409 before a bad photo answers 400."""
    try:
        return prepare_photos(photos)
    except ValidationError:
        return photos


def _require(**fields: object) -> None:
    missing = {
        name: _("This field is required.")
        for name, value in fields.items()
        if value is None or (isinstance(value, str) and not value.strip())
    }
    if missing:
        raise ValidationError(missing)


Apply = Callable[[Case, Actor, datetime], dict | None]


def _needs(**fields: object) -> Apply:
    """An ``apply`` that only checks required fields."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        _require(**fields)

    return apply


# --- the transition runner --------------------------------------------------------------------


def _load_locked(case_id: int, by) -> Case:
    if by is None:  # the system acts on any case
        case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        if case is None:
            raise Http404("No case matches the given query.")
        return case
    return get_case_for(by, case_id, for_update=True)


def _forbidden_message(action: str) -> str:
    return _("You are not the person who may %(action)s this case.") % {
        "action": ACTION_LABELS[action]
    }


def _transition(
    action: str,
    *,
    case_id: int,
    by,
    apply: Apply | None = None,
    note: str = "",
    photos: Sequence = (),
    photo_stage: str = "",
    photo_required: Callable[[Case], bool] | None = None,
) -> Case:
    """Run ``action`` on the case (see the module docstring for the order of checks).

    ``apply`` validates the action's fields and sets them on the locked case; it returns
    extra payload for the event. Photos are checked after it (``prepare_photos``; required
    where ``photo_required(case)`` says so) and stored as ``photo_stage``. Status,
    deadline, version and event are handled here.
    """
    transition = TRANSITIONS[action]
    photos = _prepared_before_lock(photos)
    with transaction.atomic():
        actor = Actor.of(by)
        case = _load_locked(case_id, by)
        if not role_may(action, actor):
            raise ActionForbidden(
                action=action,
                reason=_("Your role may not %(action)s cases.") % {"action": action},
            )
        if not state_allows(action, case):
            raise TransitionNotAllowed(
                action=action, status=case.status, allowed=allowed_actions(case, by, actor=actor)
            )
        if not actor_fits(action, case, actor):
            raise ActionForbidden(action=action, reason=_forbidden_message(action))
        before = _concrete_values(case)
        from_status = case.status
        now = timezone.now()
        payload = apply(case, actor, now) if apply else None
        if photo_stage:
            required = photo_required is not None and photo_required(case)
            photos = prepare_photos(photos, required=required)
        case.transition_to(transition.target)
        # A new step starts its clock; start (dispatched → handling) keeps the handling one.
        if STEP_OF_STATUS.get(from_status) != STEP_OF_STATUS.get(case.status):
            start_step(case, now=now)
        _save_with_event(
            case,
            before=before,
            action=action,
            from_status=from_status,
            actor=actor,
            now=now,
            note=note,
            payload=payload,
            photos=photos,
            photo_stage=photo_stage,
        )
        # One hook per transition (routing after accept, notices, satisfaction request);
        # robust: the step is committed, a broker outage must not turn it into an error.
        run_after_commit(_queue_after_transition, case.pk, action, case.version)
    return case


def run_after_commit(func: Callable, *args) -> None:
    """Call ``func(*args)`` once the transaction commits; if it fails (a broker outage), log
    it and go on: the step is committed and must not turn into an error. A closure, not
    ``functools.partial``: Django logs a failing callback by its ``__qualname__``, which a
    partial lacks (the log call itself would raise and hide the first error)."""

    def callback() -> None:
        func(*args)

    callback.__qualname__ = f"{func.__qualname__}{args}"
    transaction.on_commit(callback, robust=True)


def _queue_after_transition(case_id: int, action: str, version: int) -> None:
    from .tasks import queue_after_transition  # the tasks module imports this one

    queue_after_transition(case_id, action, version)


# --- the actions ------------------------------------------------------------------------------


def accept_case(
    *,
    case_id: int,
    by,
    category_code: str | None = None,
    priority: str | None = None,
    cell_code: str | None = None,
    note: str = "",
) -> Case:
    """立案受理: collected → accepted (street staff). May correct the category, the priority
    and the cell (a fix filed into the wrong cell; the new cell must be one the staff member
    serves, and the case's street follows it); starts the dispatch deadline; auto-routing
    (``route_case``) is queued after commit."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        if cell_code and cell_code != case.cell.full_code:
            cell = visible_cells(by).filter(full_code=cell_code).first()
            if cell is None:
                raise ValidationError({"cell": _("Choose a grid cell of the area you serve.")})
            case.cell, case.street = cell, cell.community.street
        if category_code and category_code != case.category.code:
            category = fileable_category(category_code)
            if category is None:
                raise ValidationError({"category": _("Choose an active sub-category.")})
            case.category = category
        if priority:
            if priority not in Priority.values:
                raise ValidationError({"priority": _("Unknown priority.")})
            case.priority = priority
        case.accepted_at = now

    return _transition("accept", case_id=case_id, by=by, apply=apply, note=note)


def reject_case(*, case_id: int, by, reason: str) -> Case:
    """不予立案: collected → rejected (street staff), with a reason."""
    return _transition("reject", case_id=case_id, by=by, apply=_needs(reason=reason), note=reason)


def merge_case(*, case_id: int, by, duplicate_of_id: int, note: str = "") -> Case:
    """Merge a duplicate: collected → rejected with ``duplicate_of`` an open case the staff
    member can see (not the case itself)."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        _require(duplicate_of=duplicate_of_id)
        target = (
            cases_visible_to(by)
            .filter(pk=duplicate_of_id, status__in=OPEN_STATUSES)
            .exclude(pk=case.pk)
            .first()
        )
        if target is None:
            raise ValidationError({"duplicate_of": _("Choose another open case you can see.")})
        case.duplicate_of = target
        return {"duplicate_of_number": target.number}

    return _transition("merge", case_id=case_id, by=by, apply=apply, note=note)


def _result_transition(action: str, *, case_id: int, by, note: str, photos: Sequence) -> Case:
    """report and self_resolve record a result the same way: a note, photos where the
    category requires them, and a verifier who is not the one who fixed it."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        _require(note=note)
        case.reported_at = now
        assign_verifier(case, fixer_id=actor.user_id)

    return _transition(
        action,
        case_id=case_id,
        by=by,
        apply=apply,
        note=note,
        photos=photos,
        photo_stage=Attachment.Stage.RESULT,
        photo_required=lambda case: case.category.requires_result_photo,
    )


def self_resolve_case(*, case_id: int, by, note: str, photos: Sequence = ()) -> Case:
    """就地解决: collected → feedback by the reporting grid worker; someone else verifies."""
    return _result_transition("self_resolve", case_id=case_id, by=by, note=note, photos=photos)


def dispatch_case(
    *, case_id: int, by, department_id: int, handler_id: int | None = None, note: str = ""
) -> Case:
    """任务派遣: accepted → dispatched to an active department serving the case's territory,
    optionally to one of its active handlers. ``by`` None is the routing task."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        _require(department=department_id)
        department = Department.objects.filter(pk=department_id, is_active=True).first()
        if department is None or not department.serves(
            district_id=case.street.district_id,
            street_id=case.street_id,
            community_id=case.cell.community_id,
        ):
            raise ValidationError({"department": _("Choose a department serving this place.")})
        if handler_id is not None and not (
            Assignment.objects.active()
            .filter(user_id=handler_id, role=Role.HANDLER, department=department)
            .exists()
        ):
            raise ValidationError({"handler": _("Choose an active handler of the department.")})
        case.department = department
        case.handler_id = handler_id
        case.dispatched_at = now

    return _transition("dispatch", case_id=case_id, by=by, apply=apply, note=note)


def accept_and_dispatch_case(
    *,
    case_id: int,
    by,
    department_id: int | None,
    handler_id: int | None = None,
    category_code: str | None = None,
    priority: str | None = None,
    cell_code: str | None = None,
    note: str = "",
) -> Case:
    """Street staff's one-step path from the queue: ``accept_case`` then ``dispatch_case``,
    in one transaction — both steps (two events) or neither. Errors as the two services."""
    with transaction.atomic():
        accept_case(
            case_id=case_id,
            by=by,
            category_code=category_code,
            priority=priority,
            cell_code=cell_code,
            note=note,
        )
        return dispatch_case(
            case_id=case_id, by=by, department_id=department_id, handler_id=handler_id
        )


def return_case(*, case_id: int, by, reason: str) -> Case:
    """回退: dispatched → accepted (the department's handler), with a reason; the street
    dispatches again."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        _require(reason=reason)
        case.department = None
        case.handler = None

    return _transition("return", case_id=case_id, by=by, apply=apply, note=reason)


def start_case(*, case_id: int, by, note: str = "") -> Case:
    """问题处理: dispatched → handling; the handler takes the case if none was named. The
    handling deadline set at dispatch keeps running."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        case.handler_id = actor.user_id
        case.started_at = now

    return _transition("start", case_id=case_id, by=by, apply=apply, note=note)


def report_case(*, case_id: int, by, note: str, photos: Sequence = ()) -> Case:
    """结果反馈: handling → feedback with a note (and photos where the category requires);
    a verifier other than the handler is assigned."""
    return _result_transition("report", case_id=case_id, by=by, note=note, photos=photos)


def request_extension(*, case_id: int, by, reason: str, due_at: datetime) -> Case:
    """延期申请 (handler): asks for a later deadline; street staff approve it."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        _require(reason=reason, due_at=due_at)
        if timezone.is_naive(due_at):
            raise ValidationError({"due_at": _("Give the new deadline with its time zone.")})
        if due_at <= max(filter(None, (case.due_at, now))):
            raise ValidationError({"due_at": _("Ask for a deadline later than the current one.")})
        case.requested_due_at = due_at
        return {"requested_due_at": due_at.isoformat()}

    return _transition("request_extension", case_id=case_id, by=by, apply=apply, note=reason)


def approve_extension(*, case_id: int, by, note: str = "") -> Case:
    """延期审批 (street staff): the pending request becomes the deadline; the reminder moves
    to 80 % of the time from now to it (counted like the step's limit), and overdue and
    escalation are cleared."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        case.due_at = case.requested_due_at
        _amount, unit = case.category.limit_for("handle", case.priority)
        case.remind_at = reminder_point(start=now, due=case.due_at, unit=unit)
        case.requested_due_at = None
        case.overdue = False
        case.escalation_level = 0
        return {"due_at": case.due_at.isoformat()}

    return _transition("approve_extension", case_id=case_id, by=by, apply=apply, note=note)


def suspend_case(*, case_id: int, by, reason: str) -> Case:
    """挂账 (street staff): handling → suspended, with a reason; the clock stops."""
    return _transition("suspend", case_id=case_id, by=by, apply=_needs(reason=reason), note=reason)


def resume_case(*, case_id: int, by, note: str = "") -> Case:
    """Resume (street staff): suspended → handling with a fresh handling limit from now."""
    return _transition("resume", case_id=case_id, by=by, note=note)


def verify_pass(*, case_id: int, by, note: str, photos: Sequence = ()) -> Case:
    """核查结案 by the assigned verifier: feedback → closed."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        _require(note=note)
        case.closed_at = now

    return _transition(
        "verify_pass",
        case_id=case_id,
        by=by,
        apply=apply,
        note=note,
        photos=photos,
        photo_stage=Attachment.Stage.VERIFICATION,
        photo_required=lambda case: case.category.requires_verification_photo,
    )


def verify_fail(*, case_id: int, by, reason: str, photos: Sequence = ()) -> Case:
    """返工 by the assigned verifier: feedback → dispatched to the same department, with a
    reason; the rework count grows and the next report draws a verifier again."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        _require(reason=reason)
        case.rework_count += 1
        case.verifier = None
        case.cross_check = False
        case.dispatched_at = now

    return _transition(
        "verify_fail",
        case_id=case_id,
        by=by,
        apply=apply,
        note=reason,
        photos=photos,
        photo_stage=Attachment.Stage.VERIFICATION,
    )


# --- a resident's reopen request ---------------------------------------------------------------

REOPEN_DAYS = 7  # a resident may ask to reopen a case this many days after it closed


def request_reopen(*, tracking_code: str, reason: str) -> ReopenRequest:
    """A resident says their closed case is not fixed (申请重新处理), by its tracking code.

    Allowed within ``REOPEN_DAYS`` of closing and once per closing; street staff then reopen
    it (``reopen_case``) or decline (``decline_reopen``). Writes a ``request_reopen`` event
    (closed → closed, no actor: the resident has no account) and tells the street's staff.
    ``Http404`` for an unknown code; ``TransitionNotAllowed`` (409) if the case is not closed,
    closed too long ago, or already asked about; ``ValidationError`` for a missing or
    over-long reason.
    """
    reason = (reason or "").strip()
    _require(reason=reason)
    if len(reason) > 1000:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": 1000}})
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).filter(tracking_code=tracking_code).first()
        )
        if case is None:
            raise Http404("No case has this tracking code.")
        now = timezone.now()
        if case.status != S.CLOSED or case.reopen_requested_at is not None:
            raise TransitionNotAllowed(action="request_reopen", status=case.status, allowed=[])
        if case.closed_at is None or now - case.closed_at > timedelta(days=REOPEN_DAYS):
            raise ReopenClosed(days=REOPEN_DAYS)
        if ReopenRequest.objects.filter(case=case, closed_at=case.closed_at).exists():
            raise ReopenClosed(days=REOPEN_DAYS, again=True)
        request = ReopenRequest.objects.create(case=case, reason=reason, closed_at=case.closed_at)
        before = _concrete_values(case)
        case.reopen_requested_at = now
        _save_with_event(
            case,
            before=before,
            action="request_reopen",
            from_status=S.CLOSED,
            actor=Actor(user=None),
            now=now,
            note=reason,
            payload={"by": "resident"},
        )
        run_after_commit(_queue_after_transition, case.pk, "request_reopen", case.version)
    return request


def _decide_reopen(case: Case, *, by, now: datetime, status: str, reason: str = "") -> None:
    ReopenRequest.objects.filter(case=case, status=ReopenRequest.Status.PENDING).update(
        status=status, decided_at=now, decided_by=by, decline_reason=reason
    )
    case.reopen_requested_at = None


def reopen_case(*, case_id: int, by, note: str = "") -> Case:
    """重新处理 (street staff, on a resident's pending request): closed → dispatched back to
    the department that handled it, as rework (rework count + 1, a fresh handling deadline,
    a new verifier drawn at the next report)."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        if case.department_id is None:
            raise ValidationError(
                {"department": _("This case has no department to send it back to.")}
            )
        _decide_reopen(case, by=by, now=now, status=ReopenRequest.Status.REOPENED)
        case.rework_count += 1
        case.verifier = None
        case.cross_check = False
        case.dispatched_at = now
        case.closed_at = None

    return _transition("reopen", case_id=case_id, by=by, apply=apply, note=note)


def decline_reopen(*, case_id: int, by, reason: str) -> Case:
    """Decline a resident's reopen request (street staff), with a reason the resident is
    shown on the tracking page; the case stays closed."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        _require(reason=reason)
        _decide_reopen(
            case, by=by, now=now, status=ReopenRequest.Status.DECLINED, reason=reason.strip()
        )

    return _transition("decline_reopen", case_id=case_id, by=by, apply=apply, note=reason)


# action name → service, for interfaces that dispatch on the action (API, tests).
SERVICES: dict[str, Callable[..., Case]] = {
    "accept": accept_case,
    "reject": reject_case,
    "merge": merge_case,
    "self_resolve": self_resolve_case,
    "dispatch": dispatch_case,
    "return": return_case,
    "start": start_case,
    "report": report_case,
    "request_extension": request_extension,
    "approve_extension": approve_extension,
    "suspend": suspend_case,
    "resume": resume_case,
    "verify_pass": verify_pass,
    "verify_fail": verify_fail,
    "reopen": reopen_case,
    "decline_reopen": decline_reopen,
}
