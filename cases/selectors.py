"""Reads of categories, routing (DESIGN §4) and cases, scoped by the reader (DESIGN §6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from operator import attrgetter

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404

from gridgov.caching import ProcessCache
from grids.geometry import degree_box, haversine_m
from grids.models import Community, Department, GridCell, Role, Street
from grids.selectors import (
    TERRITORIAL_ROLES,
    AssignmentRow,
    active_assignments,
    assignment_rows,
    territory_q,
)
from grids.spatial import cell_ids_near
from residents.models import Household, Visit
from residents.selectors import households_served_by

from .models import (
    OPEN_STATUSES,
    RETURNS_BEFORE_BINDING,
    Attachment,
    CaseEvent,
    CaseGroupObjectPermission,
    CasePart,
    CaseStatus,
    Category,
    DuplicateCandidate,
    ReopenRequest,
    RoutingRule,
    Summons,
)
from .models import Case as CaseModel
from .models.case import OPEN_STATUS_ORDER
from .models.joint import PartStatus, department_group_name

CATEGORY_CACHE_SECONDS = 60


def _load_fileable() -> dict[str, Category]:
    # The major class comes along: pages show it, and the shared instances stay unchanged.
    categories = Category.objects.fileable().select_related("parent")
    return {category.code: category for category in categories}


# Every intake looks its category up; the table has ~50 rows and changes a few times a year.
_fileable = ProcessCache(_load_fileable, seconds=CATEGORY_CACHE_SECONDS)
# Connected to category saves and deletes (cases.apps).
invalidate_categories = _fileable.invalidate


def fileable_category(code: str) -> Category | None:
    """The sub-category ``code`` if a case can be filed under it now (``fileable``), else
    None. Read from this process's copy of the fileable categories: an edit made here is
    seen once it commits, one made in another process within ``CATEGORY_CACHE_SECONDS``.
    The instance is shared: read it, do not change it."""
    return _fileable.get().get(code)


def category_choices(*, family: str | None = None) -> QuerySet[Category]:
    """Active sub-categories a case can be filed under, grouped by major class for pickers.

    Ordered by family, then the major class's and the sub-category's ``sort_order`` and
    code; ``parent`` is joined so labels need no further query. ``family`` narrows to one of
    ``CategoryFamily``. Sub-categories of an inactive major class are left out.
    """
    qs = Category.objects.fileable()
    if family:
        qs = qs.filter(family=family)
    return qs.select_related("parent").order_by(
        "family", "parent__sort_order", "parent__code", "sort_order", "code"
    )


def _active_rules(*, categories, communities, streets, districts) -> QuerySet[RoutingRule]:
    """Active rules of ``categories`` to an active department whose territory is one of
    ``communities``, ``streets`` (street-wide rules) or ``districts`` (district-wide rules):
    each a collection of ids or a subquery giving them."""
    return (
        RoutingRule.objects.filter(
            Q(community_id__in=communities)
            | Q(community__isnull=True, street_id__in=streets)
            | Q(street__isnull=True, community__isnull=True, district_id__in=districts),
            category_id__in=categories,
            is_active=True,
            department__is_active=True,
        )
        .select_related("department")
        .order_by()
    )


def _narrowest(rules: Iterable[RoutingRule]) -> Department | None:
    """The department of the narrowest rule: a community's over a street's over the
    district's."""
    rule = max(rules, key=attrgetter("level"), default=None)
    return rule.department if rule else None


def route_for(*, category: Category, cell: GridCell) -> Department | None:
    """The department that handles ``category`` in ``cell``, or ``None`` if no rule says.

    Among active rules of the category whose territory contains the cell, the narrowest
    wins (``RoutingRule.level``). Rules pointing at an inactive department are skipped. Runs
    one query whatever is loaded on ``cell`` (only ``cell.community_id`` is read; the street
    and district come from subqueries).
    """
    rules = _active_rules(
        categories=[category.pk],
        communities=[cell.community_id],
        streets=Community.objects.filter(pk=cell.community_id).values("street_id"),
        districts=Street.objects.filter(communities=cell.community_id).values("district_id"),
    )
    return _narrowest(rules)


# Roles that work in the field: they also see the cases they reported or must verify.
_FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.FUNCTIONAL_WORKER, Role.VOLUNTEER})
# How each scope level reaches a case (its own cell and denormalised street columns).
_CASE_LEVEL_PATH = {
    "cell": "cell_id",
    "community": "cell__community_id",
    "street": "street_id",
    "district": "street__district_id",
}


def case_scope_q(user) -> Q:
    """A Q over ``Case`` keeping the cases ``user`` may see (DESIGN §6).

    Workers and volunteers: cases in their cells (or community), plus cases they reported or
    must verify and the cases their merged reports joined (functional workers also the
    service cases in their hands); street staff: their street;
    district admins: their district; handlers: cases of the departments they act for, and
    the cases their departments were made co-departments of or summoned to (object
    permissions of the department's group, django-guardian). A
    superuser sees all; anyone else nothing. One query (the user's assignments), for handlers
    a second (the cases shared with their departments), and for field roles a second (the
    cases their merged reports joined).
    """
    return _case_scope(user, None)[0]


def _case_scope(user, assignments: list[AssignmentRow] | None) -> tuple[Q, bool]:
    """(the scope Q, whether the user sees cases only as a field worker)."""
    if getattr(user, "is_superuser", False):
        return Q(), False
    rows = assignment_rows(user) if assignments is None else assignments
    q = territory_q(
        [row[1:6] for row in rows if row[0] in TERRITORIAL_ROLES], level_paths=_CASE_LEVEL_PATH
    )
    departments = sorted({row[6] for row in rows if row[0] == Role.HANDLER and row[6]})
    if departments:
        q |= Q(department_id__in=departments)
        # 吹哨报到: the cases a department is a co-department of, or summoned to, through its
        # group's object permission (django-guardian) — those cases only. Read as ids first,
        # like the merged reports below: a few per department.
        shared = list(
            CaseGroupObjectPermission.objects.filter(
                group__name__in=[department_group_name(d) for d in departments],
                permission__codename="view_case",
            ).values_list("content_object_id", flat=True)
        )
        if shared:
            q |= Q(pk__in=shared)
    field_only = bool(rows) and all(row[0] in _FIELD_ROLES for row in rows)
    if any(row[0] in _FIELD_ROLES for row in rows):
        q |= Q(reporter=user) | Q(verifier=user)
        if any(row[0] == Role.FUNCTIONAL_WORKER for row in rows):
            q |= Q(handler=user)  # service cases routed to them (cases.specialists)
        # A report merged into another case is followed there: its reporter sees that one.
        # The ids are read first (the reporter's index): as a subquery inside this OR,
        # PostgreSQL gave up its index scans for a scan of the table (4 s at 2M cases).
        joined = list(
            CaseModel.objects.filter(reporter=user, duplicate_of__isnull=False).values_list(
                "duplicate_of_id", flat=True
            )
        )
        if joined:
            q |= Q(pk__in=joined)
    return q, field_only


_PEOPLE_FIELDS = ("reporter", "handler", "verifier")
_PEOPLE = get_user_model().objects.only("id", "username", "display_name")


def cases_visible_to(user, assignments: list[AssignmentRow] | None = None) -> QuerySet[CaseModel]:
    """The cases ``user`` may see, with what a case list shows joined (category and its major
    class, cell, street, department, handler, verifier). ``assignments``: the user's current
    assignments as ``grids.selectors.assignment_rows``, when the caller has read them."""
    scope, field_only = _case_scope(user, assignments)
    queryset = CaseModel.objects.filter(scope)
    if field_only:
        # A field worker's scope is an OR (their cells, or reported, or to verify) over a few
        # hundred cases. Ordered by the bare column, PostgreSQL walks the created_at index
        # backwards through the whole table to fill a page (60 ms at 2M cases); ordered by an
        # expression it collects the few hundred rows and sorts them (3 ms).
        newest = ExpressionWrapper(F("created_at") + timedelta(0), output_field=DateTimeField())
        queryset = queryset.order_by(newest.desc(), "-id")
    return (
        queryset
        # Joined: what every row shows. The people are fetched by id in one small query each:
        # with them joined too the query had ten tables, and PostgreSQL spent 24 ms planning
        # it for 1 ms of execution (district demo, 2M cases).
        .select_related("category", "cell", "street", "department")
        .prefetch_related(
            "category__parent", *(Prefetch(name, queryset=_PEOPLE) for name in _PEOPLE_FIELDS)
        )
        # Territory polygons are not shown in lists; don't ship or parse them per row.
        .defer("cell__geometry", "street__geometry")
    )


NEARBY_M = 50.0  # as far as intake's duplicate check looks (cases.duplicates.RADIUS_M)
NEARBY_MAX = 5


def open_cases_near(
    user, *, lon: float, lat: float, category_code: str, metres: float = NEARBY_M
) -> list[tuple[CaseModel, float]]:
    """Open cases of ``category_code`` that ``user`` may see within ``metres`` of a point,
    nearest first, as ``(case, distance in metres)``, at most ``NEARBY_MAX``: "already
    reported? add to it" before a worker files a duplicate. Narrowed by the cells around
    the point and a box on lon/lat in SQL, decided by the exact distance."""
    cells = cell_ids_near(lon, lat, metres=metres)
    if not cells:
        return []
    dlon, dlat = degree_box(lat, metres)
    rows = (
        cases_visible_to(user)
        .filter(
            cell_id__in=cells,
            status__in=sorted(OPEN_STATUSES),
            category__code=category_code,
            lon__range=(lon - dlon, lon + dlon),
            lat__range=(lat - dlat, lat + dlat),
        )
        .prefetch_related(None)  # only the case's own fields are shown
        .order_by()[:200]
    )
    near = [(case, haversine_m(lon, lat, case.lon, case.lat)) for case in rows]
    near = [pair for pair in near if pair[1] <= metres]
    near.sort(key=lambda pair: pair[1])
    return near[:NEARBY_MAX]


def case_events(case: CaseModel) -> QuerySet[CaseEvent]:
    """A case's timeline, oldest first, with the actors (the caller has checked scope)."""
    return case.events.select_related("actor").order_by("seq")


class CaseLeftScope(Http404):
    """The case was in the user's scope when their step looked for it, and a concurrent step
    moved it out (dispatched elsewhere, returned, merged ...) while this one waited for its
    lock. ``status`` is the case's state now: a transition answers 409 with it, not 404."""

    def __init__(self, status: str) -> None:
        super().__init__("The case left your scope while your step waited for it.")
        self.status = status


def get_case_for(
    user, case_id: int, *, for_update: bool = False, assignments: list[AssignmentRow] | None = None
) -> CaseModel:
    """The case ``case_id`` if ``user`` may see it, else ``Http404`` (also for a missing id).
    ``assignments``: the user's current assignment rows, when the caller has read them (a
    page's gate has: ``grids.access.current_assignments``); not used with ``for_update``.

    ``for_update`` locks the case row (only that row: ``of=("self",)``) for a transition and
    joins nothing, so the lock never spans territory rows. Call it inside a transaction. If
    another step holds the lock and the case leaves the user's scope meanwhile, it raises
    ``CaseLeftScope`` (an ``Http404`` carrying the new state).
    """
    if not for_update:
        try:
            return cases_visible_to(user, assignments).get(pk=case_id)
        except CaseModel.DoesNotExist:
            raise Http404("No case matches the given query.") from None
    in_scope = CaseModel.objects.filter(case_scope_q(user), pk=case_id)
    # Uncontended (nearly always): one query. Locked by another step: was the case in scope
    # before that step commits? Then wait for it, and a case gone from scope is a conflict.
    case = in_scope.select_for_update(of=("self",), skip_locked=True).first()
    if case is None:
        if not in_scope.exists():
            raise Http404("No case matches the given query.")
        case = in_scope.select_for_update(of=("self",)).first()
        if case is None:
            status = CaseModel.objects.filter(pk=case_id).values_list("status", flat=True)
            raise CaseLeftScope(status.first() or "")
    return case


def case_photos_for(user, case_id: int) -> QuerySet[Attachment]:
    """The photos of case ``case_id`` if ``user`` may see the case, else none: for serving a
    photo in one query past the scope's (a queue page asks for fifty thumbnails)."""
    visible = CaseModel.objects.filter(case_scope_q(user), pk=case_id)
    return Attachment.objects.filter(case_id=case_id, case__in=visible)


# --- the pages' lists ---------------------------------------------------------------------

_OPEN = OPEN_STATUS_ORDER  # matches the condition of the partial index case_department_open
_IN_HAND = (CaseStatus.DISPATCHED, CaseStatus.HANDLING)  # with a department


def awaiting_binding_q() -> Q:
    """Cases returned ``RETURNS_BEFORE_BINDING`` times, waiting for the district admins'
    binding assignment (``Case.awaiting_binding``, as a filter)."""
    return Q(status=CaseStatus.ACCEPTED, return_count__gte=RETURNS_BEFORE_BINDING, binding=False)


def staff_queue(user, *, tab: str) -> QuerySet[CaseModel]:
    """The work lists of street staff (受理/审批/超期) and district admins (指定承办), most
    urgent first, within the user's scope.

    ``new``: reports waiting to be accepted, by time left; ``approvals``: extension requests
    waiting, transfer requests (转办), suspended cases and residents' requests to reopen a
    closed case (oldest first,
    after the deadlines); ``overdue``: open cases past their deadline, red first;
    ``binding``: cases returned twice, waiting for a district admin's binding assignment, by
    time left. Report photos, duplicate candidates and pending reopen requests are
    prefetched for the queue's side-by-side view; on ``approvals`` also the extension
    requests' events (``extension_requests``, newest first: the reason).
    """
    cases = cases_visible_to(user)
    if tab == "new":
        cases = cases.filter(status=CaseStatus.COLLECTED).order_by("due_at", "id")
    elif tab == "approvals":
        # The few closed cases with a pending reopen request, by id from their own small index
        # (reopen_pending): found among the street's closed cases instead, they cost a read of
        # every one (90k rows, 700 ms at the district scale).
        reopening = list(
            ReopenRequest.objects.filter(status=ReopenRequest.Status.PENDING).values_list(
                "case_id", flat=True
            )
        )
        cases = cases.filter(
            Q(status=CaseStatus.HANDLING, requested_due_at__isnull=False)
            | Q(status=CaseStatus.SUSPENDED)
            | Q(status__in=_IN_HAND, transfer_to__isnull=False)
            | Q(status=CaseStatus.CLOSED, reopen_requested_at__isnull=False, pk__in=reopening)
        ).order_by(F("due_at").asc(nulls_last=True), "reopen_requested_at", "id")
    elif tab == "overdue":
        cases = cases.filter(overdue=True, status__in=_OPEN).order_by(
            "-escalation_level", "due_at", "id"
        )
    elif tab == "binding":
        cases = cases.filter(awaiting_binding_q()).order_by("due_at", "id")
    else:
        raise ValueError(f"unknown queue tab {tab!r}")
    if tab == "approvals":  # the handler's reason beside the request
        cases = cases.prefetch_related(
            Prefetch(
                "events",
                queryset=CaseEvent.objects.filter(action="request_extension").order_by("-seq"),
                to_attr="extension_requests",
            )
        )
    return cases.prefetch_related(
        Prefetch(
            "attachments",
            queryset=Attachment.objects.filter(stage=Attachment.Stage.REPORT).order_by("id"),
            to_attr="report_photos",
        ),
        Prefetch(
            "duplicate_candidates",
            queryset=DuplicateCandidate.objects.select_related("candidate").order_by("distance_m"),
            to_attr="nearby_duplicates",
        ),
        Prefetch(
            "reopen_requests",
            queryset=ReopenRequest.objects.filter(status=ReopenRequest.Status.PENDING),
            to_attr="pending_reopen",
        ),
    )


def worker_reports(user, *, limit: int = 20) -> list[CaseModel]:
    """A field worker's latest ``limit`` reports: open ones first (overdue first, then by
    deadline), then the finished ones, newest first.

    The order is decided on the covering index ``case_reporter_board`` alone, then only the
    rows shown are read: a worker of three years has ~700 reports scattered through the
    table, and reading them all to keep 20 took 70 ms at the district scale.
    """
    is_open = Case(When(status__in=_OPEN, then=Value(1)), default=Value(0))
    order = (is_open.desc(), F("overdue").desc(), F("due_at").asc(nulls_last=True))
    newest = (F("created_at").desc(), F("id").desc())
    ids = (
        CaseModel.objects.filter(reporter=user)
        .order_by(*order, *newest)
        .values_list("pk", flat=True)[:limit]
    )
    return list(cases_visible_to(user).filter(pk__in=list(ids)).order_by(*order, *newest))


def to_verify(user) -> QuerySet[CaseModel]:
    """Cases waiting for ``user``'s on-site verification (待核查), earliest deadline first."""
    return (
        cases_visible_to(user)
        .filter(verifier=user, status=CaseStatus.FEEDBACK)
        .order_by("due_at", "id")
    )


# A handler's department page (部门工作台): its tabs, each one state of the loop.
DEPARTMENT_TABS = {
    "start": CaseStatus.DISPATCHED,
    "progress": CaseStatus.HANDLING,
    "verification": CaseStatus.FEEDBACK,
    "suspended": CaseStatus.SUSPENDED,
}


def _handler_departments(user):
    """The departments ``user`` acts for as a handler (a subquery)."""
    return active_assignments(user).filter(role=Role.HANDLER).values("department_id")


def department_cases(user, *, tab: str | None = None) -> QuerySet[CaseModel]:
    """A handler's department's work queue: the open cases it leads, and the joint cases in
    which it has something to do — an open part (协办) or a summons not yet checked in
    (报到) — by time left (no deadline last); ``tab`` (one of ``DEPARTMENT_TABS``) narrows
    to one state of the loop.

    A joint case leaves the queue when the department's part is done or it checked in; its
    object permission stays, so it can still open the case (its report, its arrival and the
    outcome are part of its record and of its assessment)."""
    departments = _handler_departments(user)
    # Read as ids first (a few per department), as in ``_case_scope``: a subquery inside
    # this OR would cost PostgreSQL its index scans on the case table.
    joint = {
        *CasePart.objects.filter(department_id__in=departments, status=PartStatus.OPEN).values_list(
            "case_id", flat=True
        ),
        *Summons.objects.filter(
            department_id__in=departments, checked_in_at__isnull=True
        ).values_list("case_id", flat=True),
    }
    work = Q(department_id__in=departments)
    if joint:
        work |= Q(pk__in=sorted(joint))
    cases = cases_visible_to(user).filter(work, status__in=_OPEN, department__isnull=False)
    if tab is not None:
        cases = cases.filter(status=DEPARTMENT_TABS[tab])
    return cases.order_by(F("due_at").asc(nulls_last=True), "id")


def mark_late_parts(user, cases: Iterable[CaseModel]) -> list[CaseModel]:
    """Set ``part_escalation`` on each case: how late the open part (协办) of one of the
    user's departments is (``EscalationLevel``; 0: none, or on time). One query."""
    cases = list(cases)
    late = dict(
        CasePart.objects.filter(
            case_id__in=[c.pk for c in cases],
            department_id__in=_handler_departments(user),
            status=PartStatus.OPEN,
            escalation_level__gt=0,
        ).values_list("case_id", "escalation_level")
    )
    for case in cases:
        case.part_escalation = late.get(case.pk, 0)
    return cases


def department_tab_counts(user) -> dict[str, int]:
    """How many of the department's cases each tab holds (one query)."""
    by_status = dict(
        department_cases(user)
        .prefetch_related(None)
        .order_by()
        .values("status")
        .annotate(n=Count("*"))  # not COUNT(id): read from the index case_department_status alone
        .values_list("status", "n")
    )
    return {tab: by_status.get(status, 0) for tab, status in DEPARTMENT_TABS.items()}


def department_suggestions(cases: Iterable[CaseModel]) -> dict[int, list[Department]]:
    """For each case (by id), the departments the routing rules covering it name, the
    narrowest rule's first (``route_for``'s choice), each once — for a whole list in one
    query. The cases must have ``cell`` and ``street`` loaded."""
    cases = list(cases)
    if not cases:
        return {}
    rules = list(
        _active_rules(
            categories={c.category_id for c in cases},
            communities={c.cell.community_id for c in cases},
            streets={c.street_id for c in cases},
            districts={c.street.district_id for c in cases},
        )
    )
    suggestions = {}
    for case in cases:
        place = {
            "community_id": case.cell.community_id,
            "street_id": case.street_id,
            "district_id": case.street.district_id,
        }
        covering = sorted(
            (r for r in rules if r.category_id == case.category_id and r.covers(**place)),
            key=lambda rule: -rule.level,  # stable: ties keep ``_narrowest``'s pick first
        )
        departments = list({rule.department_id: rule.department for rule in covering}.values())
        if departments:
            suggestions[case.pk] = departments
    return suggestions


def suggested_departments(cases: Iterable[CaseModel]) -> dict[int, Department]:
    """For each case (by id), the department its routing rule names — ``route_for`` for a
    whole list in one query. The cases must have ``cell`` and ``street`` loaded."""
    return {pk: found[0] for pk, found in department_suggestions(cases).items()}


@dataclass(frozen=True)
class HouseholdHistory:
    """What a service case's household has been through: its latest visits and its other
    cases (the care plans' tasks are on the care pages)."""

    household: Household
    visits: list[Visit]
    cases: list[CaseModel]


HISTORY_ROWS = 10


def household_history(user, case: CaseModel) -> HouseholdHistory | None:
    """The household history shown on a case linked to a household, to those who serve the
    household (grid and functional workers of its cell, street staff: the same rule as for
    residents' names); ``None`` for anyone else or a case with no household. Three queries."""
    if case.household_id is None:
        return None
    household = households_served_by(user).filter(pk=case.household_id).first()
    if household is None:
        return None
    visits = Visit.objects.filter(household=household).select_related("worker")
    cases = CaseModel.objects.filter(household=household).exclude(pk=case.pk)
    return HouseholdHistory(
        household=household,
        visits=list(visits.order_by("-visited_at")[:HISTORY_ROWS]),
        cases=list(cases.select_related("category").order_by("-created_at")[:HISTORY_ROWS]),
    )
