"""Reads of care plans and tasks, scoped by the reader's assignments (DESIGN §6).

- Plans and tasks follow their resident: visible to those who see the resident
  (``residents.selectors.resident_scope_q``), with names whole only to those who serve.
- A worker's own tasks (their task list) are those assigned to them.
- A missed task (past its day, not done) is overdue to its assignee at once and, after
  ``CARE_GRACE_DAYS``, to the community's overseers too: workers assigned to the whole
  community (or street) and street staff.
- Volunteers see the open volunteer tasks of the communities they serve (an organisation's
  tasks only if they are its members), and of a task only what it needs: what to do, when,
  how to address the resident and the building (``VolunteerTaskView``) — never the ID
  number, phone, full address or a ``Resident`` object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from grids.models import Role
from grids.selectors import CELL_LEVEL_PATH, active_assignments, territory_q
from residents.masking import mask_address
from residents.models import Gender, Resident, Tag, years_before
from residents.selectors import resident_scope_q, residents_served_by

from .models import VOLUNTEER_KINDS, CarePlan, CareTask, Responsible, TaskStatus, Volunteer

LIST_SIZE = 20
OVERSEER_ROLES = (Role.GRID_WORKER, Role.FUNCTIONAL_WORKER, Role.STREET_STAFF)
_NOTHING = Q(pk__in=[])
# "…12号院3号楼" / "…3栋" / "…2幢": the address up to the building; the unit and door stay out.
_BUILDING = re.compile(r"^.*?(?:号楼|栋|幢|座)")


def grace_days() -> int:
    """Days a missed task is its assignee's alone before the community sees it too."""
    return getattr(settings, "CARE_GRACE_DAYS", 2)


def tags_of(resident: Resident, *, today: date | None = None) -> QuerySet[Tag]:
    """The service tags ``resident`` carries, a plan may be set for: ticked, or derived from
    the birth date (老年人, ``Tag.min_age``) on ``today``."""
    derived = list(Tag.objects.filter(min_age__isnull=False))
    aged = [tag.pk for tag in resident.derived_tags(derived, on=today)]
    return Tag.objects.filter(Q(residents=resident) | Q(pk__in=aged)).distinct()


def residents_needing_a_plan(user, *, today: date | None = None, limit: int) -> list[Resident]:
    """Living residents the user serves who carry a service tag (ticked or derived from
    age) and have no care plan yet, by address; each with ``shown_tags`` (both kinds)."""
    today = today or timezone.localdate()
    served = residents_served_by(user).living().filter(care_plans__isnull=True)
    derived = list(Tag.objects.filter(min_age__isnull=False))
    carrying = served.filter(tags__isnull=False)
    for tag in derived:
        carrying |= served.with_tag(tag, on=today)
    rows = list(
        carrying.select_related("household")
        .prefetch_related("tags")
        .distinct()
        .order_by("household__address", "name")[:limit]
    )
    for resident in rows:
        resident.shown_tags = list(resident.tags.all()) + resident.derived_tags(derived, on=today)
    return rows


def serves(user, resident_path: str) -> Exists:
    """An annotation: does ``user`` serve the resident (id at ``resident_path``)? Whole
    names, addresses and sensitive tags are for those who do (``residents.selectors``)."""
    return Exists(residents_served_by(user).filter(pk=OuterRef(resident_path)))


def plans_visible_to(user) -> QuerySet[CarePlan]:
    """Plans whose resident the user sees, each with ``served``."""
    return (
        CarePlan.objects.filter(resident_scope_q(user, "resident__"))
        .annotate(served=serves(user, "resident_id"))
        .select_related("resident__household", "tag", "worker", "organisation")
    )


def tasks_visible_to(user) -> QuerySet[CareTask]:
    return CareTask.objects.filter(resident_scope_q(user, "")).select_related(
        "plan__resident__household", "plan__tag", "assignee", "done_by", "organisation"
    )


def end_of(day: date) -> datetime:
    """The moment a task due on ``day`` becomes overdue: midnight after it, local time."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time()))


def my_tasks(user, *, today: date | None = None) -> QuerySet[CareTask]:
    """The user's care tasks due today or earlier and not done, most overdue first (their
    task list): on the (assignee, status, due_on) index. Each with ``served``: a volunteer
    who took a task does not serve its resident (``addressee``)."""
    today = today or timezone.localdate()
    return (
        CareTask.objects.filter(
            assignee=user, status__in=(TaskStatus.OPEN, TaskStatus.TAKEN), due_on__lte=today
        )
        .annotate(served=serves(user, "plan__resident_id"))
        .select_related("plan__resident__household")
        .order_by("due_on", "id")
    )


def _overseen_q(user) -> Q:
    """Cells the user oversees as the community: assignments of an overseeing role to a
    whole community or street (a cell's worker oversees no one else's work)."""
    rows = list(
        active_assignments(user)
        .filter(role__in=OVERSEER_ROLES, scope__in=("community", "street"))
        .values_list("scope", "district_id", "street_id", "community_id", "cell_id")
    )
    return territory_q(rows, level_paths=CELL_LEVEL_PATH, path="cell__") if rows else _NOTHING


def missed_for_community(user, *, today: date | None = None) -> QuerySet[CareTask]:
    """Tasks missed by more than ``grace_days()`` in the communities the user oversees,
    most overdue first, each with ``served``."""
    today = today or timezone.localdate()
    return (
        CareTask.objects.filter(
            _overseen_q(user),
            status__in=(TaskStatus.OPEN, TaskStatus.TAKEN),
            due_on__lt=today - timedelta(days=grace_days()),
        )
        .annotate(served=serves(user, "plan__resident_id"))
        .select_related("plan__resident__household", "assignee", "organisation")
        .order_by("due_on", "id")
    )


def volunteer_tasks_q(user) -> Q:
    """The volunteer tasks ``user`` may see and take: volunteer or organisation plans in the
    cells of their volunteer assignments; an organisation's only for its members."""
    rows = list(
        active_assignments(user)
        .filter(role=Role.VOLUNTEER)
        .values_list("scope", "district_id", "street_id", "community_id", "cell_id")
    )
    if not rows:
        return _NOTHING
    membership = Volunteer.objects.filter(user=user).values_list("organisation_id", flat=True)
    organisation = next(iter(membership), None)
    whose = Q(plan__responsible=Responsible.VOLUNTEER)
    if organisation is not None:
        whose |= Q(plan__responsible=Responsible.ORGANISATION, plan__organisation_id=organisation)
    return territory_q(rows, level_paths=CELL_LEVEL_PATH, path="cell__") & whose


def building_of(address: str) -> str:
    """The building a volunteer goes to, without unit and door: ``…12号院3号楼``; an address
    without a building number is cut to its road (``mask_address``)."""
    found = _BUILDING.match(address or "")
    return found.group(0) if found else mask_address(address)


# From what age one greets a neighbour as 奶奶/爷爷 rather than 阿姨/叔叔: a courtesy at the door,
# not the 老年人 tag (``Tag.elderly_age``), which a district may set otherwise.
GREET_AS_ELDER_FROM = 60


def called(name: str, gender: str, birth_date: date | None, today: date) -> str:
    """How a volunteer addresses the resident: the surname and a polite form (王奶奶,
    李爷爷, 张阿姨, 赵叔叔) — less than the given name tells, and how one greets a neighbour.
    Chinese in every UI language: it is what the volunteer says at the door."""
    surname = (name or "?")[:1]
    elderly = birth_date is not None and birth_date <= years_before(today, GREET_AS_ELDER_FROM)
    if gender == Gender.FEMALE:
        return surname + ("奶奶" if elderly else "阿姨")
    return surname + ("爷爷" if elderly else "叔叔")


@dataclass(frozen=True)
class Addressee:
    """A task's resident as a task list shows them."""

    name: str
    place: str


def addressee(task: CareTask, today: date) -> Addressee:
    """Whole name and door to those who serve the resident (``task.served``); to anyone
    else — a volunteer who took the task — only what finds and greets them: how to address
    them (``called``) and the building (``building_of``), as ``VolunteerTaskView``."""
    resident = task.plan.resident
    if getattr(task, "served", False):
        return Addressee(resident.name, resident.household.address)
    return Addressee(
        called(resident.name, resident.gender, resident.birth_date, today),
        building_of(resident.household.address),
    )


@dataclass(frozen=True)
class VolunteerTaskView:
    """All a volunteer learns of a task."""

    id: int
    what: str
    note: str
    due_on: date
    status: str
    called: str
    building: str
    community: str
    mine: bool


def volunteer_tasks(user, *, today: date | None = None, limit: int = 50) -> list[VolunteerTaskView]:
    """Open volunteer tasks of the user's communities due from today on (and those they
    took), soonest first — as ``VolunteerTaskView`` rows, read with ``only()`` so no other
    personal field even leaves the database."""
    today = today or timezone.localdate()
    rows = (
        CareTask.objects.filter(volunteer_tasks_q(user))
        .filter(
            Q(status=TaskStatus.OPEN, due_on__gte=today) | Q(status=TaskStatus.TAKEN, assignee=user)
        )
        .select_related("plan__resident__household", "cell__community")
        .only(
            "id",
            "due_on",
            "status",
            "assignee_id",
            "plan__kind",
            "plan__note",
            "plan__resident__name",
            "plan__resident__gender",
            "plan__resident__birth_date",
            "plan__resident__household__address",
            "cell__community__name",
        )
        .order_by("due_on", "id")[:limit]
    )
    return [_view(task, user, today) for task in rows]


def _view(task: CareTask, user, today: date) -> VolunteerTaskView:
    resident = task.plan.resident
    return VolunteerTaskView(
        id=task.pk,
        what=str(task.plan.get_kind_display()),
        note=task.plan.note,
        due_on=task.due_on,
        status=task.status,
        called=called(resident.name, resident.gender, resident.birth_date, today),
        building=building_of(resident.household.address),
        community=task.cell.community.name,
        mine=task.assignee_id == user.pk,
    )


def volunteer_view(user, task_id: int) -> VolunteerTaskView:
    """One volunteer task as the volunteer sees it; ``CareTask.DoesNotExist`` if out of
    scope."""
    task = (
        CareTask.objects.filter(volunteer_tasks_q(user), pk=task_id)
        .select_related("plan__resident__household", "cell__community")
        .get()
    )
    return _view(task, user, timezone.localdate())


def is_volunteer_task(task: CareTask) -> bool:
    return task.plan.responsible in VOLUNTEER_KINDS


@dataclass(frozen=True)
class HoursLine:
    """One volunteer's (or organisation's) month: tasks done and hours."""

    name: str
    organisation: str
    tasks: int
    hours: float


def hours_done(tasks: QuerySet[CareTask], start: datetime, end: datetime) -> QuerySet[CareTask]:
    return tasks.filter(
        status=TaskStatus.DONE, hours__isnull=False, done_at__gte=start, done_at__lt=end
    )


def hours_by_volunteer(where: Q, start: datetime, end: datetime) -> list[HoursLine]:
    """Hours per volunteer and organisation (志愿服务时长) in ``where`` for the period, most
    first: one grouped query."""
    rows = (
        hours_done(CareTask.objects.filter(where), start, end)
        .order_by()
        .values("done_by__display_name", "done_by__username", "organisation__name")
        .annotate(n=Count("id"), total=Sum("hours"))
        .order_by("-total", "done_by__username")
    )
    return [
        HoursLine(
            r["done_by__display_name"] or r["done_by__username"],
            r["organisation__name"] or "",
            r["n"],
            float(r["total"]),
        )
        for r in rows
    ]


def hours_by_organisation(lines: list[HoursLine]) -> list[HoursLine]:
    totals: dict[str, list] = {}
    for line in lines:
        entry = totals.setdefault(line.organisation, [0, 0.0])
        entry[0] += line.tasks
        entry[1] += line.hours
    return [HoursLine("", org, n, h) for org, (n, h) in sorted(totals.items()) if org]
