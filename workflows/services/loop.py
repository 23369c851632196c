"""The actions of the closed loop, collected → closed (DESIGN §4), one service each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import OPEN_STATUSES, RETURNS_BEFORE_BINDING, Attachment, Case, Priority
from cases.selectors import cases_visible_to, fileable_category
from cases.specialists import serves_case
from grids.models import Assignment, Department, Role
from grids.selectors import visible_cells

from ..clocks import check_extension, check_review_date, reminder_point
from ..transitions import Actor
from ..verification import assign_verifier
from .runner import Apply, needs, require, run_transition


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

    return run_transition("accept", case_id=case_id, by=by, apply=apply, note=note)


def reject_case(*, case_id: int, by, reason: str) -> Case:
    """不予立案: collected → rejected (street staff), with a reason."""
    return run_transition("reject", case_id=case_id, by=by, apply=needs(reason=reason), note=reason)


def merge_case(*, case_id: int, by, duplicate_of_id: int, note: str = "") -> Case:
    """Merge a duplicate: collected → rejected with ``duplicate_of`` an open case the staff
    member can see (not the case itself)."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(duplicate_of=duplicate_of_id)
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

    with transaction.atomic():
        # Both rows, in id order, before either is written: the foreign key check on the
        # target takes a lock on it, so merging A into B while B merges into A would deadlock
        # if each locked its own case first.
        list(
            Case.objects.select_for_update(of=("self",))
            .filter(pk__in={case_id, duplicate_of_id})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return run_transition("merge", case_id=case_id, by=by, apply=apply, note=note)


def _result_transition(action: str, *, case_id: int, by, note: str, photos: Sequence) -> Case:
    """report and self_resolve record a result the same way: a note, photos where the
    category requires them, and a verifier who is not the one who fixed it."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(note=note)
        case.reported_at = now
        if action == "report":
            case.lead_reported_at = now
            if case.open_parts:  # 吹哨报到: waits for the co-departments' parts
                return {"waiting_for_parts": case.open_parts}
        return {"verification": assign_verifier(case, fixer_id=actor.user_id)}

    return run_transition(
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


def serving_departments(
    case: Case, department_ids: list[int], *, field: str = "department"
) -> list[Department]:
    """The active departments ``department_ids`` (in that order) if each serves the case's
    territory, else a ``ValidationError`` on ``field``. One query for any number."""
    found = Department.objects.in_bulk(department_ids)
    departments = [found.get(pk) for pk in department_ids]
    if any(
        department is None
        or not department.is_active
        or not department.serves(
            district_id=case.street.district_id,
            street_id=case.street_id,
            community_id=case.cell.community_id,
        )
        for department in departments
    ):
        raise ValidationError({field: _("Choose a department serving this place.")})
    return departments


def serving_department(case: Case, department_id: int, *, field: str = "department") -> Department:
    """The active department ``department_id`` if it serves the case's territory, else a
    ``ValidationError`` on ``field``."""
    return serving_departments(case, [department_id], field=field)[0]


def _dispatch_to(department_id: int | None, handler_id: int | None) -> Apply:
    """The ``apply`` of dispatch and assign_binding: an active department serving the case's
    territory, optionally one of its active handlers."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        require(department=department_id)
        department = serving_department(case, department_id)
        if handler_id is not None and not (
            Assignment.objects.active()
            .filter(user_id=handler_id, role=Role.HANDLER, department=department)
            .exists()
        ):
            raise ValidationError({"handler": _("Choose an active handler of the department.")})
        case.department = department
        case.handler_id = handler_id
        case.dispatched_at = now

    return apply


def dispatch_case(
    *, case_id: int, by, department_id: int, handler_id: int | None = None, note: str = ""
) -> Case:
    """任务派遣: accepted → dispatched to an active department serving the case's territory,
    optionally to one of its active handlers. ``by`` None is the routing task. A case the
    departments returned twice is the district's to assign (``assign_binding``): 409. A
    returned case keeps its handling deadline (``workflows.clocks``)."""
    apply = _dispatch_to(department_id, handler_id)
    return run_transition("dispatch", case_id=case_id, by=by, apply=apply, note=note)


def dispatch_to_functional_worker(*, case_id: int, by, worker_id: int, note: str = "") -> Case:
    """任务派遣 of a service case to a functional worker (功能性网格员) rather than a
    department: accepted → dispatched with no department and the worker as handler, who
    starts and reports it like a handler (``transitions._is_case_handler``). The worker must
    currently serve the case's cell in the specialty its category needs
    (``cases.specialists.serves_case``), else 400. ``by`` None is the routing task."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(worker=worker_id)
        if not serves_case(user_id=worker_id, case=case):
            raise ValidationError(
                {"worker": _("Choose a functional worker of this specialty serving the cell.")}
            )
        case.department = None
        case.handler_id = worker_id
        case.dispatched_at = now
        return {"functional_worker": worker_id}

    return run_transition("dispatch", case_id=case_id, by=by, apply=apply, note=note)


def assign_binding(
    *, case_id: int, by, department_id: int, handler_id: int | None = None, note: str = ""
) -> Case:
    """指定承办 (district admin): a case returned ``RETURNS_BEFORE_BINDING`` times → dispatched
    to the department the district names, as dispatch does; the assignment is binding (the
    department cannot return it) and the handling deadline runs on as it was."""
    dispatch = _dispatch_to(department_id, handler_id)

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        dispatch(case, actor, now)
        case.binding = True

    return run_transition("assign_binding", case_id=case_id, by=by, apply=apply, note=note)


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


def holder_record(case: Case, *, now: datetime) -> dict:
    """What a return or a transfer keeps on the record of the department that held the case
    (DESIGN §5): its id and name (none for a service case a functional worker held), the
    handler, whether the handling deadline had passed (marked by the scanner or not), the
    escalation and the deadline (ISO, UTC)."""
    return {
        "department": case.department_id,
        "department_name": case.department.name if case.department else None,
        "handler": case.handler_id,
        "overdue": case.overdue or (case.due_at is not None and case.due_at <= now),
        "escalation_level": case.escalation_level,
        "due_at": case.due_at.astimezone(UTC).isoformat() if case.due_at else None,
    }


def return_case(*, case_id: int, by, reason: str) -> Case:
    """回退: dispatched → accepted (the department's handler), with a reason; the street
    dispatches again — or, at the ``RETURNS_BEFORE_BINDING``-th return, the district admins
    (``assign_binding``). Not for a binding assignment (409). The handling clock runs on.

    The event's payload keeps the return on the department's record: ``department`` (its id)
    and ``department_name``; ``overdue``, whether the handling deadline had passed at that
    moment (marked by the scanner or not); ``escalation_level`` (0, 1 yellow, 2 red) and
    ``due_at`` (ISO, UTC), the deadline it held; ``return_count``, this case's returns so far;
    ``to_binding``, whether this return sent it to the district admins.
    """

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(reason=reason)
        case.return_count += 1
        record = holder_record(case, now=now) | {
            "return_count": case.return_count,
            "to_binding": case.return_count >= RETURNS_BEFORE_BINDING,
        }
        case.department = None
        case.handler = None
        return record

    return run_transition("return", case_id=case_id, by=by, apply=apply, note=reason)


def start_case(*, case_id: int, by, note: str = "") -> Case:
    """问题处理: dispatched → handling; the handler takes the case if none was named. The
    handling deadline set at dispatch keeps running."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        case.handler_id = actor.user_id
        case.started_at = now

    return run_transition("start", case_id=case_id, by=by, apply=apply, note=note)


def report_case(*, case_id: int, by, note: str, photos: Sequence = ()) -> Case:
    """结果反馈: handling → feedback with a note (and photos where the category requires);
    a verifier other than the handler is assigned. On a joint case with co-departments' parts
    still open (吹哨报到) the report is recorded (``lead_reported_at``) and the case waits in
    handling; the last part reported or released moves it on (``workflows.services.joint``).
    A second report by the lead is a 409."""
    return _result_transition("report", case_id=case_id, by=by, note=note, photos=photos)


def request_extension(*, case_id: int, by, reason: str, due_at: datetime) -> Case:
    """延期申请 (handler): asks for a later deadline, at most the category's
    ``max_extension_days`` working days after the current one (``clocks.check_extension``:
    else ``ValidationError`` on ``due_at``); street staff approve it."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(reason=reason, due_at=due_at)
        check_extension(case, due_at, now=now)
        case.requested_due_at = due_at
        return {"requested_due_at": due_at.isoformat()}

    return run_transition("request_extension", case_id=case_id, by=by, apply=apply, note=reason)


def approve_extension(*, case_id: int, by, note: str = "") -> Case:
    """延期审批 (street staff): the pending request becomes the deadline; the reminder moves
    to 80 % of the time from now to it (counted like the step's limit), and overdue and
    escalation are cleared. A request past today's ``latest_extension`` (the deadline moved
    since, or it predates the bound) is refused with ``ValidationError`` on ``due_at``."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        check_extension(case, case.requested_due_at, now=now)
        case.due_at = case.requested_due_at
        _amount, unit = case.category.limit_for("handle", case.priority)
        case.remind_at = reminder_point(start=now, due=case.due_at, unit=unit)
        case.requested_due_at = None
        case.overdue = False
        case.escalation_level = 0
        return {"due_at": case.due_at.isoformat()}

    return run_transition("approve_extension", case_id=case_id, by=by, apply=apply, note=note)


def refuse_extension(*, case_id: int, by, reason: str) -> Case:
    """延期驳回 (street staff): the pending request is dropped and the deadline stays, with a
    reason the handler is told. The event's payload: ``refused_due_at``, the date asked for
    (ISO, UTC)."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(reason=reason)
        refused = case.requested_due_at
        case.requested_due_at = None
        return {"refused_due_at": refused.astimezone(UTC).isoformat()}

    return run_transition("refuse_extension", case_id=case_id, by=by, apply=apply, note=reason)


def suspend_case(*, case_id: int, by, reason: str, review_at: datetime | None) -> Case:
    """挂账 (street staff): handling → suspended, with a reason and a review date (after now,
    within ``MAX_REVIEW_DAYS``, with its time zone; else ``ValidationError`` on
    ``review_at``). The handling clock stands still; the suspension is due at its review
    date, and the SLA scanner escalates it once past. The event's payload: ``review_at`` and
    the stopped ``handling_due_at`` (ISO, UTC)."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(reason=reason, review_at=review_at)
        check_review_date(review_at, now=now)
        case.review_at = review_at
        return {"review_at": review_at.astimezone(UTC).isoformat()}

    return run_transition("suspend", case_id=case_id, by=by, apply=apply, note=reason)


def resume_case(*, case_id: int, by, note: str = "") -> Case:
    """Resume (street staff): suspended → handling. The handling clock goes on with the time
    it had left (an overdue case resumes overdue), not a fresh limit. The suspension's elapsed
    time is added to ``Case.suspended_seconds``; the event's payload: ``suspended_seconds``
    (this suspension's), ``review_at``, ``past_review`` (resumed after the review date) and
    the restarted ``due_at``."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        seconds = max(int((now - case.step_started_at).total_seconds()), 0)
        record = {
            "suspended_seconds": seconds,
            "review_at": case.review_at.astimezone(UTC).isoformat() if case.review_at else None,
            "past_review": case.review_at is not None and now > case.review_at,
        }
        case.suspended_seconds += seconds
        case.review_at = None
        return record

    return run_transition("resume", case_id=case_id, by=by, apply=apply, note=note)


def verify_pass(*, case_id: int, by, note: str, photos: Sequence = ()) -> Case:
    """核查结案 by the assigned verifier: feedback → closed."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        require(note=note)
        case.closed_at = now

    return run_transition(
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
        require(reason=reason)
        case.rework_count += 1
        case.lead_reported_at = None  # the lead reports its rework again
        case.verifier = None
        case.cross_check = False
        case.dispatched_at = now

    return run_transition(
        "verify_fail",
        case_id=case_id,
        by=by,
        apply=apply,
        note=reason,
        photos=photos,
        photo_stage=Attachment.Stage.VERIFICATION,
    )
