"""Joint handling (吹哨报到, DESIGN §8), one service per action: co-departments' parts
(协办), summonses to the site (吹哨) and check-ins (报到), transfers (转办).

Each runs through ``run_transition`` like every step of the loop (scope, role, state, person,
fields, one event). The rows of ``cases.models.joint`` change only here, under the case's row
lock, together with the case's counters (``open_parts``, ``pending_summons``) that the
transition table reads. Each event's payload records what changed (``part``, ``summons``,
``check_in``, ``transfer``), so ``joint_state_from_events`` rebuilds the parts and summonses
from the timeline alone and matches ``joint_state`` of the rows.

- A co-department (or a summoned department) gets ``view_case`` on that case through its
  group (django-guardian): its handlers see that case, and no other of the lead's.
- The case reaches feedback when the lead has reported and every part is reported or
  released: whichever of those comes last moves it (``TRANSITIONS[...].waits``), and draws
  the verifier then; the row lock makes exactly one of simultaneous reports the last.
- A check-in needs the handler's GPS fix in the case's cell or within ``CHECK_IN_RADIUS_M``
  (plus the fix's accuracy, at most ``MAX_ACCURACY_M``) of the case's point.
- A transfer is asked for by the lead's handler (or the functional worker holding a service
  case) and decided by street staff; approved, the
  case goes to the new department as dispatched, its handling clock running on (nothing is
  reset), and the event keeps the record of the department that held it
  (``loop.holder_record``), as a return does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.models import Attachment, Case, CaseEvent, CasePart, PartStatus, Priority, Summons
from cases.models.joint import CaseGroupObjectPermission, department_groups
from grids.geometry import haversine_m
from grids.spatial import get_cell_index

from ..calendar import MAX_LIMIT_DAYS, LimitUnit
from ..clocks import reminder_point
from ..transitions import Actor
from ..verification import assign_verifier
from .loop import holder_record, serving_department, serving_departments
from .runner import require, run_transition

# 报到 on site: within the case's cell, or this close to its point (plus the fix's accuracy).
CHECK_IN_RADIUS_M = 300
MAX_ACCURACY_M = 200
MAX_SUMMONED = 10  # departments in one summons


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _grant(case: Case, department_ids: list[int]) -> None:
    """Let the departments' handlers see this case (and only it) through their groups (a
    fixed number of queries for any number of departments; a permission held already is
    kept)."""
    view = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    CaseGroupObjectPermission.objects.bulk_create(
        [
            CaseGroupObjectPermission(group=group, permission=view, content_object=case)
            for group in department_groups(department_ids)
        ],
        ignore_conflicts=True,
    )


def _moved_on(case: Case, *, now: datetime) -> dict:
    """After a part is done: if that finished the joint case (the lead reported, no part
    open), the verifier is drawn now (the lead's handler fixed it)."""
    if case.lead_reported_at is None or case.open_parts:
        return {}
    return {"verification": assign_verifier(case, fixer_id=case.handler_id)}


def add_codepartment(
    *, case_id: int, by, department_id: int, note: str, due_at: datetime | None = None
) -> Case:
    """协办 (street staff): add a co-department serving the case's place, with its part (what
    is expected) and a deadline (default: the case's handling deadline; with its time zone,
    after now). Not the lead itself, nor a department already a co-department (400 on
    ``department``). The department's handlers get object access to this case."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(department=department_id, note=note)
        department = serving_department(case, department_id)
        if (
            department.pk in (case.department_id, case.transfer_to_id)
            or case.parts.filter(department=department).exists()
        ):
            raise ValidationError(
                {"department": _("Choose a department not yet handling this case.")}
            )
        due = due_at or case.due_at
        if due is None or due.tzinfo is None or due <= now:
            raise ValidationError({"due_at": _("Give the part a deadline after now.")})
        if due > now + timedelta(days=MAX_LIMIT_DAYS):  # the clocks reckon up to a year
            raise ValidationError(
                {
                    "due_at": _("Give the part a deadline within %(days)d days.")
                    % {"days": MAX_LIMIT_DAYS}
                }
            )
        CasePart.objects.create(
            case=case,
            department=department,
            note=note.strip(),
            due_at=due,
            added_at=now,
            remind_at=_part_reminder(case, start=now, due=due),
        )
        case.open_parts += 1
        _grant(case, [department.pk])
        part = {"department": department.pk, "status": PartStatus.OPEN, "due_at": _iso(due)}
        return {"part": part | {"department_name": department.name, "note": note.strip()}}

    return run_transition("add_codepartment", case_id=case_id, by=by, apply=apply, note=note)


def _part_reminder(case: Case, *, start: datetime, due: datetime) -> datetime:
    """催办 point of a part: 80 % of its time, on the case's clock (elapsed time for urgent
    cases, working time otherwise), as for a step."""
    unit = LimitUnit.CALENDAR_HOURS if case.priority == Priority.URGENT else LimitUnit.WORKING_HOURS
    return reminder_point(start=start, due=due, unit=unit)


def _finish_part(case: Case, part: CasePart, *, status: str, by, now: datetime, note: str) -> dict:
    part.status, part.done_at, part.done_by, part.done_note = status, now, by, note.strip()
    part.save(update_fields=["status", "done_at", "done_by", "done_note"])
    case.open_parts -= 1
    record = {
        "department": part.department_id,
        "department_name": part.department.name,
        "status": status,
        "late": now > part.due_at,
    }
    return {"part": record, **_moved_on(case, now=now)}


def report_part(*, case_id: int, by, note: str, photos: Sequence = ()) -> Case:
    """协办反馈 (a handler of a co-department with an open part): the part is reported, with a
    note and optional photos. If the lead has reported and no other part is open, the case
    moves to feedback and a verifier is drawn."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(note=note)
        part = (
            case.parts.select_related("department")
            .filter(status=PartStatus.OPEN, department_id__in=actor.handler_departments)
            .order_by("id")
            .first()
        )
        return _finish_part(case, part, status=PartStatus.REPORTED, by=by, now=now, note=note)

    return run_transition(
        "report_part",
        case_id=case_id,
        by=by,
        apply=apply,
        note=note,
        photos=photos,
        photo_stage=Attachment.Stage.RESULT,
    )


def release_part(*, case_id: int, by, department_id: int, reason: str) -> Case:
    """解除协办 (street staff): a co-department's open part is released, with a reason (its part
    is not needed after all). Moves the case on as ``report_part`` does."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(department=department_id, reason=reason)
        part = (
            case.parts.select_related("department")
            .filter(status=PartStatus.OPEN, department_id=department_id)
            .first()
        )
        if part is None:
            raise ValidationError({"department": _("Choose a co-department whose part is open.")})
        return _finish_part(case, part, status=PartStatus.RELEASED, by=by, now=now, note=reason)

    return run_transition("release_part", case_id=case_id, by=by, apply=apply, note=reason)


def summon(*, case_id: int, by, department_ids: Iterable[int], note: str = "") -> Case:
    """吹哨 (street staff): summon departments serving the case's place to the site, each to
    check in within the category's ``arrival_minutes`` (calendar time: on-site matters do not
    wait for office hours). A department already summoned and not checked in is a 400 on
    ``departments``. Their handlers get object access to this case."""
    department_ids = list(dict.fromkeys(department_ids or ()))

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(departments=department_ids or None)
        if len(department_ids) > MAX_SUMMONED:
            message = _("Summon at most %(n)d departments at once.") % {"n": MAX_SUMMONED}
            raise ValidationError({"departments": message})
        departments = serving_departments(case, department_ids, field="departments")
        if case.summonses.filter(department_id__in=department_ids, checked_in_at=None).exists():
            raise ValidationError(
                {"departments": _("A department you chose is already summoned and on its way.")}
            )
        arrive_by = now + timedelta(minutes=case.category.arrival_minutes)
        Summons.objects.bulk_create(
            Summons(case=case, department=d, summoned_at=now, arrive_by=arrive_by)
            for d in departments
        )
        case.pending_summons += len(departments)
        _grant(case, department_ids)
        return {
            "summons": [
                {"department": d.pk, "department_name": d.name, "arrive_by": _iso(arrive_by)}
                for d in departments
            ]
        }

    return run_transition("summon", case_id=case_id, by=by, apply=apply, note=note)


def _check_place(case: Case, *, lon: float, lat: float, accuracy: float | None) -> dict:
    distance = haversine_m(lon, lat, case.lon, case.lat)
    in_cell = get_cell_index().lookup(lon, lat) == case.cell_id
    if accuracy is not None and accuracy > MAX_ACCURACY_M:
        raise ValidationError({"accuracy": _("Wait for a better GPS fix, then check in.")})
    if not in_cell and distance > CHECK_IN_RADIUS_M + (accuracy or 0):
        message = _("You are %(m)d m from the case, outside its grid cell: check in on site.")
        raise ValidationError({"lon": message % {"m": round(distance)}})
    return {"distance_m": round(distance, 1), "in_cell": in_cell}


_ARRIVAL_FIELDS = [
    "checked_in_at",
    "checked_in_by",
    "lon",
    "lat",
    "accuracy_m",
    "distance_m",
    "in_cell",
]


def check_in(
    *,
    case_id: int,
    by,
    lon: float | None,
    lat: float | None,
    accuracy: float | None = None,
    note: str = "",
) -> Case:
    """报到 (a handler of a summoned department): on site, with the phone's GPS fix (in the
    case's cell or near its point, else 400 on ``lon``), at the server's time. Every pending
    summons of the handler's departments on this case is checked in; the event records each
    one's arrival and whether it was late."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(lon=lon, lat=lat)
        place = _check_place(case, lon=lon, lat=lat, accuracy=accuracy)
        pending = list(
            case.summonses.select_related("department").filter(
                checked_in_at=None, department_id__in=actor.handler_departments
            )
        )
        records = []
        for summons in pending:
            summons.checked_in_at, summons.checked_in_by = now, by
            summons.lon, summons.lat, summons.accuracy_m = lon, lat, accuracy
            summons.distance_m, summons.in_cell = place["distance_m"], place["in_cell"]
            # Only the arrival: the scanner's late marks, set meanwhile, stay (late is late).
            summons.save(update_fields=_ARRIVAL_FIELDS)
            records.append(
                {
                    "department": summons.department_id,
                    "department_name": summons.department.name,
                    "at": _iso(now),
                    "late": not summons.on_time,
                    "minutes": summons.arrival_minutes,
                    **place,
                }
            )
        case.pending_summons -= len(pending)
        return {"check_in": records}

    return run_transition("check_in", case_id=case_id, by=by, apply=apply, note=note)


def request_transfer(*, case_id: int, by, department_id: int, reason: str) -> Case:
    """转办申请 (the lead's handler, or the functional worker in whose hands a service case
    is): ask street staff to give the case to another department
    serving its place (not the lead, not a co-department with an open part: 400), with a
    reason. The case stays with the department until they decide."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(department=department_id, reason=reason)
        department = _transfer_target(case, department_id, field="department")
        case.transfer_to = department
        return {"transfer": {"to": department.pk, "to_name": department.name}}

    return run_transition("request_transfer", case_id=case_id, by=by, apply=apply, note=reason)


def _transfer_target(case: Case, department_id: int, *, field: str):
    """The department a case may be transferred to: serving its place, neither its lead nor
    a co-department with an open part (400 on ``field``)."""
    department = serving_department(case, department_id, field=field)
    if (
        department.pk == case.department_id
        or case.parts.filter(department=department, status=PartStatus.OPEN).exists()
    ):
        raise ValidationError({field: _("Choose a department not handling the case.")})
    return department


def approve_transfer(*, case_id: int, by, note: str = "") -> Case:
    """转办 approved (street staff): the case goes to the requested department as dispatched
    (its handlers start it afresh; the lead's report, if any, no longer stands). The handling
    clock runs on — deadline, overdue and escalation as they were — and the event's payload
    keeps the record of the department that held it (``loop.holder_record``) under
    ``transfer``, with ``to``/``to_name``."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        # Checked again: since the request the department may have stopped serving the place
        # or been given a part of this case.
        department = _transfer_target(case, case.transfer_to_id, field="transfer_to")
        record = holder_record(case, now=now)
        record |= {"to": department.pk, "to_name": department.name}
        case.department, case.handler, case.transfer_to = department, None, None
        case.lead_reported_at = None
        case.dispatched_at = now
        return {"transfer": record}

    return run_transition("approve_transfer", case_id=case_id, by=by, apply=apply, note=note)


def refuse_transfer(*, case_id: int, by, reason: str) -> Case:
    """转办驳回 (street staff): the request is dropped and the case stays, with a reason the
    handler is told."""

    def apply(case: Case, actor: Actor, now: datetime) -> dict:
        require(reason=reason)
        refused = case.transfer_to
        case.transfer_to = None
        return {"transfer": {"refused_to": refused.pk, "refused_to_name": refused.name}}

    return run_transition("refuse_transfer", case_id=case_id, by=by, apply=apply, note=reason)


# --- replay ----------------------------------------------------------------------------------


def joint_state_from_events(events: Iterable[CaseEvent]) -> dict:
    """The parts (``{department: status}``) and summonses (``{department: [checked in?, …]}``,
    in order) of a case, rebuilt from its events' payloads."""
    parts: dict[int, str] = {}
    summonses: dict[int, list[bool]] = {}
    for event in sorted(events, key=lambda e: e.seq):
        payload = event.payload
        if "part" in payload:
            parts[payload["part"]["department"]] = payload["part"]["status"]
        for row in payload.get("summons", ()):
            summonses.setdefault(row["department"], []).append(False)
        for row in payload.get("check_in", ()):
            checks = summonses[row["department"]]
            checks[checks.index(False)] = True
    return {"parts": parts, "summonses": summonses}


def joint_state(case: Case) -> dict:
    """The same as ``joint_state_from_events``, read from the rows."""
    summonses: dict[int, list[bool]] = {}
    for department, checked in case.summonses.order_by("summoned_at", "id").values_list(
        "department_id", "checked_in_at"
    ):
        summonses.setdefault(department, []).append(checked is not None)
    return {
        "parts": dict(case.parts.values_list("department_id", "status")),
        "summonses": summonses,
    }
