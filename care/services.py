"""Writes of the care app: plans, the tasks they generate, taking and doing a task.

Errors: ``ValidationError`` (field errors, a 400), ``CareConflict`` (the task is not in a
state for that, a 409 saying why), ``DoesNotExist`` (out of the caller's scope, a 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from cases.models import CaseSource
from cases.services import file_case
from grids.models import Role
from grids.selectors import user_roles
from residents.models import Household, Resident
from residents.selectors import residents_served_by
from residents.visits import record_visit
from workflows.calendar import WorkingCalendar
from workflows.errors import WorkflowError

from .models import (
    VOLUNTEER_KINDS,
    CareKind,
    CarePlan,
    CareTask,
    Frequency,
    Responsible,
    SocialOrganisation,
    TaskStatus,
    Volunteer,
)
from .schedule import due_day, planned_days
from .selectors import tags_of, volunteer_tasks_q

# Tasks are written this many days ahead; the daily sweep (tasks.extend_care_plans) keeps
# the horizon, so a worker sees next week's tasks and a month end is never missed.
HORIZON_DAYS = 31
# How far back a plan may start: its tasks are written from its first day on, so a start
# decades ago (a mistyped year) would write a task for every week of those decades.
MAX_BACKDATE_DAYS = 365
MAX_HOURS = Decimal("24")
# The role a plan's worker must hold for each kind of responsibility.
WORKER_ROLE = {Responsible.WORKER: Role.GRID_WORKER, Responsible.FUNCTIONAL: Role.FUNCTIONAL_WORKER}


class CareConflict(WorkflowError):
    """The task is not in a state for that (taken by someone else, already done): 409."""

    http_status = 409


@transaction.atomic
def create_plan(
    *,
    by,
    resident_id: int,
    tag_id: int,
    kind: str,
    responsible: str,
    frequency: str,
    worker_id: int | None = None,
    organisation_id: int | None = None,
    weekday: int | None = None,
    day_of_month: int | None = None,
    note: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    move_off_holidays: bool | None = None,
    today: date | None = None,
) -> CarePlan:
    """A care plan (关爱计划) for a resident ``by`` serves, with its tasks written ahead
    (``HORIZON_DAYS``). The resident must carry ``tag_id`` (ticked, or derived from age:
    ``selectors.tags_of``); a worker plan names a worker of that role who serves the
    resident's cell; an organisation plan an active organisation admitted to the resident's
    community. ``move_off_holidays`` defaults to True for home
    visits (made on working days) and False for calls and reminders (due every day of the
    year). ``Resident.DoesNotExist`` when ``by`` does not serve the resident."""
    today = today or timezone.localdate()
    resident = (
        residents_served_by(by).select_related("household__cell__community").get(pk=resident_id)
    )
    errors: dict[str, str] = {}
    if not tags_of(resident, today=today).filter(pk=tag_id).exists():
        errors["tag"] = _("The resident does not carry this service tag.")
    if kind not in CareKind.values:
        errors["kind"] = _("Choose what is to be done.")
    if frequency not in Frequency.values:
        errors["frequency"] = _("Choose how often.")
    elif frequency == Frequency.WEEKLY and weekday not in range(7):
        errors["weekday"] = _("Choose a weekday.")
    elif frequency == Frequency.MONTHLY and day_of_month not in range(1, 32):
        errors["day_of_month"] = _("Choose a day from 1 to 31 (31: the month's last day).")
    worker = organisation = None
    if responsible in WORKER_ROLE:
        worker = _serving_worker(worker_id, WORKER_ROLE[responsible], resident)
        if worker is None:
            errors["worker"] = _("Choose a worker of this kind who serves the resident's cell.")
    elif responsible == Responsible.ORGANISATION:
        organisation = SocialOrganisation.objects.filter(
            pk=organisation_id, is_active=True, communities=resident.household.cell.community
        ).first()
        if organisation is None:
            errors["organisation"] = _(
                "Choose a social organisation admitted to the resident's community."
            )
    elif responsible != Responsible.VOLUNTEER:
        errors["responsible"] = _("Choose who does it.")
    starts_on = starts_on or today
    if starts_on < today - timedelta(days=MAX_BACKDATE_DAYS):
        errors["starts_on"] = _("Start the plan at most %(days)d days ago.") % {
            "days": MAX_BACKDATE_DAYS
        }
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The plan cannot end before it starts.")
    if len(note) > 200:
        errors["note"] = _("At most %(n)d characters.") % {"n": 200}
    if errors:
        raise ValidationError(errors)
    if move_off_holidays is None:
        move_off_holidays = kind == CareKind.VISIT
    plan = CarePlan.objects.create(
        resident=resident,
        tag_id=tag_id,
        kind=kind,
        note=note.strip(),
        responsible=responsible,
        worker=worker,
        organisation=organisation,
        frequency=frequency,
        weekday=weekday if frequency == Frequency.WEEKLY else None,
        day_of_month=day_of_month if frequency == Frequency.MONTHLY else None,
        move_off_holidays=kind == CareKind.VISIT
        if move_off_holidays is None
        else move_off_holidays,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    generate_tasks(plan=plan, through=today + timedelta(days=HORIZON_DAYS))
    return plan


def _serving_worker(worker_id: int | None, role: str, resident: Resident):
    if worker_id is None:
        return None
    from django.contrib.auth import get_user_model

    worker = get_user_model().objects.filter(pk=worker_id, is_active=True).first()
    if worker is None or role not in user_roles(worker):
        return None
    return worker if residents_served_by(worker).filter(pk=resident.pk).exists() else None


def generate_tasks(
    *, plan: CarePlan, through: date, calendar: WorkingCalendar | None = None
) -> int:
    """Write the plan's tasks up to ``through`` (from the day after the last one written).
    Idempotent: a task per (plan, planned day) at most, however often it runs. Returns how
    many were written."""
    first = plan.generated_through + timedelta(days=1) if plan.generated_through else plan.starts_on
    if first > through:
        return 0
    calendar = calendar or WorkingCalendar.cached(around=first)
    assignee = plan.worker if plan.responsible in WORKER_ROLE else None
    tasks = [
        CareTask(
            plan=plan,
            cell_id=plan.resident.cell_id,
            scheduled_on=day,
            due_on=due_day(plan, day, calendar),
            assignee=assignee,
            organisation=plan.organisation,
        )
        for day in planned_days(plan, first, through)
    ]
    CareTask.objects.bulk_create(tasks, ignore_conflicts=True)
    CarePlan.objects.filter(pk=plan.pk).update(generated_through=through)
    plan.generated_through = through
    return len(tasks)


def extend_plans(*, today: date | None = None) -> int:
    """The daily sweep: every running plan's tasks written up to the horizon. Returns how
    many tasks were written."""
    today = today or timezone.localdate()
    through = today + timedelta(days=HORIZON_DAYS)
    calendar = WorkingCalendar.cached(around=today)
    plans = CarePlan.objects.filter(starts_on__lte=through).exclude(generated_through__gte=through)
    plans = plans.exclude(ends_on__lt=today).select_related("resident", "worker", "organisation")
    written = 0
    for plan in plans.iterator(chunk_size=500):
        with transaction.atomic():
            written += generate_tasks(plan=plan, through=through, calendar=calendar)
    return written


def _volunteer_task(task_id: int, by) -> CareTask:
    """The volunteer task ``task_id`` if ``by`` may see it (else ``CareTask.DoesNotExist``),
    locked."""
    return (
        CareTask.objects.select_for_update(of=("self",))
        .filter(volunteer_tasks_q(by))
        .select_related("plan")
        .get(pk=task_id)
    )


def _refuse_taken(task: CareTask, by) -> None:
    if task.status == TaskStatus.DONE:
        raise CareConflict(_("This task is already done."))
    if task.status == TaskStatus.TAKEN and task.assignee_id != by.pk:
        raise CareConflict(_("Another volunteer has taken this task."))


def _take(task: CareTask, by, *, today: date) -> None:
    """An open volunteer task becomes ``by``'s (unsaved). One whose day has passed was
    missed: it is no longer offered (``selectors.volunteer_tasks``), nor taken by its id."""
    if task.status != TaskStatus.OPEN:
        return
    if task.due_on < today:
        raise CareConflict(
            _("This task was due on %(day)s and was missed: it can no longer be taken.")
            % {"day": task.due_on.isoformat()}
        )
    task.status = TaskStatus.TAKEN
    task.assignee = by


@transaction.atomic
def take_task(*, task_id: int, by) -> CareTask:
    """A volunteer takes an open volunteer task of their community (or organisation): it
    becomes theirs (in their task list). Taking one's own task again changes nothing.
    ``CareConflict``: done, taken by someone else, or missed (its day has passed)."""
    task = _volunteer_task(task_id, by)
    _refuse_taken(task, by)
    if task.status == TaskStatus.OPEN:
        _take(task, by, today=timezone.localdate())
        task.save(update_fields=["status", "assignee"])
    return task


@dataclass(frozen=True)
class Problem:
    """A problem found while doing the task, to be filed as a service case linked to the
    resident and household (``category_code`` e.g. ``S0101``)."""

    category_code: str
    description: str


def _parse_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"hours": _("Enter the hours as a number, e.g. 1.5.")}) from None
    if not Decimal("0.1") <= hours <= MAX_HOURS:
        raise ValidationError({"hours": _("Between 0.1 and 24 hours.")})
    return hours


def _record_visit(household: Household, *, by, note: str):
    """The home visit as a visit (走访) of ``by``, who must serve the household: a worker
    moved away keeps their task but cannot log a visit there (``CareConflict``)."""
    try:
        return record_visit(household_id=household.pk, by=by, note=note)
    except Household.DoesNotExist:
        raise CareConflict(
            _(
                "You no longer serve this household, so the home visit cannot be recorded as "
                "yours. Ask the community to hand the plan to a worker who serves it."
            )
        ) from None


@transaction.atomic
def complete_task(
    *,
    task_id: int,
    by,
    note: str = "",
    hours=None,
    problem: Problem | None = None,
    now=None,
) -> CareTask:
    """Record a care task done (with a note; a volunteer with their hours, 志愿服务时长).

    A worker's task is done by its worker; a volunteer task by the volunteer who took it (an
    open one is taken on the way unless missed; one taken in time may be recorded late). A
    home visit by a worker who serves the household is also logged as a visit (走访, so it is
    in the visit ledger). ``problem`` files a service case from the check-in (source
    ``visit``), linked to the household and resident, in the same transaction: if the case
    is refused, nothing is recorded. Errors: ``DoesNotExist`` (not the caller's task),
    ``CareConflict`` (done already, taken by someone else, missed before it was taken, a
    home visit by a worker who no longer serves the household), ``ValidationError`` (note,
    hours, the case's fields)."""
    now = now or timezone.now()
    task = (
        CareTask.objects.select_for_update(of=("self",))
        .select_related("plan__resident__household__cell")
        .filter(pk=task_id)
        .first()
    )
    volunteer = task is not None and task.plan.responsible in VOLUNTEER_KINDS
    if volunteer:
        task = _volunteer_task(task_id, by)
        task = CareTask.objects.select_related("plan__resident__household__cell").get(pk=task.pk)
    elif task is None or task.assignee_id != by.pk:
        raise CareTask.DoesNotExist("not your care task")
    _refuse_taken(task, by)
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": _("At most %(n)d characters.") % {"n": 500}})
    if volunteer:
        _take(task, by, today=timezone.localdate(now))
        task.hours = _parse_hours(hours)
        membership = Volunteer.objects.filter(user=by).select_related("organisation").first()
        task.organisation = task.plan.organisation or (membership and membership.organisation)
    elif hours not in (None, ""):
        raise ValidationError({"hours": _("Hours are counted for volunteers only.")})
    resident = task.plan.resident
    household = resident.household
    if task.plan.kind == CareKind.VISIT and not volunteer:
        task.visit = _record_visit(household, by=by, note=note)
    if problem is not None:
        point = shape(household.cell.geometry).representative_point()
        task.case = file_case(
            by=by,
            title="",
            description=problem.description,
            category_code=problem.category_code,
            lon=point.x,
            lat=point.y,
            address=household.address,
            source=CaseSource.VISIT,
            household_id=household.pk,
            resident_id=resident.pk,
        ).case
    task.status = TaskStatus.DONE
    task.done_at, task.done_by, task.note = now, by, note
    task.save(
        update_fields=[
            "status",
            "done_at",
            "done_by",
            "note",
            "hours",
            "assignee",
            "organisation",
            "visit",
            "case",
        ]
    )
    return task
