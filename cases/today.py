"""The field worker's day (今日任务): one list, most urgent first, of what is theirs to do —
service cases in their hands (a functional worker's: to start or to report),
verifications assigned to them, their reports rejected today (read the reason, report again),
households due a visit, and open cases in their cells close to their deadline — and a history
tab of what they finished.

Each kind is read by its own small query on an index (verifier, reporter's events of today,
residents by cell, cell and status); the list is merged and sorted in Python. Apps above
``cases`` add their own kinds through ``register_provider`` (care: the day's care tasks), so
a worker still has one list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from residents.models import Visit
from residents.selectors import VisitDue, households_due_visit

from .models import Attachment, Case, CaseEvent, CaseStatus
from .selectors import cases_visible_to, to_verify

TASK_LIST_SIZE = 20
HISTORY_SIZE = 20
# An open case of the worker's cells joins the list this long before its deadline.
SOON = timedelta(hours=24)


class Kind:
    SERVICE = "service"
    VERIFY = "verify"
    REJECTED = "rejected"
    VISIT = "visit"
    DEADLINE = "deadline"


KIND_LABELS = {
    Kind.SERVICE: _("Service case to handle"),
    Kind.VERIFY: _("Verify on site"),
    Kind.REJECTED: _("Your report was not accepted"),
    Kind.VISIT: _("Visit due"),
    Kind.DEADLINE: _("Close to its deadline"),
}


@dataclass
class Task:
    """One line of the list: ``case`` or ``visit`` (a ``VisitDue``) or a provider's ``item``
    (rendered by its ``template``), why it is there (``kind``), and ``urgent_at``, the time
    it sorts by (its deadline; ``None``: now)."""

    kind: str
    urgent_at: datetime | None
    case: Case | None = None
    visit: VisitDue | None = None
    reason: str = ""
    photo: Attachment | None = None  # the case's first report photo, for its thumbnail
    item: object | None = None
    template: str = ""

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def overdue(self) -> bool:
        return self.urgent_at is not None and self.urgent_at <= timezone.now()


def _rejected_today(user, now: datetime) -> list[Task]:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    events = (
        CaseEvent.objects.filter(
            case__reporter=user,
            case__status=CaseStatus.REJECTED,
            action__in=("reject", "merge"),
            at__gte=start,
        )
        .select_related("case", "case__category")
        .order_by("-at")[:TASK_LIST_SIZE]
    )
    return [Task(Kind.REJECTED, None, case=e.case, reason=e.note) for e in events]


# Open and running against a deadline (suspended cases wait; cases awaiting verification
# are the verifier's own task).
_ON_THE_CLOCK = [
    CaseStatus.COLLECTED,
    CaseStatus.ACCEPTED,
    CaseStatus.DISPATCHED,
    CaseStatus.HANDLING,
]


def _near_deadline(user, now: datetime, exclude: set[int]) -> list[Task]:
    cases = (
        cases_visible_to(user)
        .filter(~Q(pk__in=exclude), status__in=_ON_THE_CLOCK, due_at__lte=now + SOON)
        .order_by("due_at", "id")[:TASK_LIST_SIZE]
    )
    return [Task(Kind.DEADLINE, c.due_at, case=c) for c in cases]


def _in_hand(user) -> list[Task]:
    """Service cases dispatched to the user as functional worker, to start or to report."""
    cases = (
        cases_visible_to(user)
        .filter(
            handler=user,
            department__isnull=True,
            status__in=(CaseStatus.DISPATCHED, CaseStatus.HANDLING),
        )
        .order_by("due_at", "id")[:TASK_LIST_SIZE]
    )
    return [Task(Kind.SERVICE, c.due_at, case=c) for c in cases]


TaskProvider = Callable[..., list[Task]]
_providers: list[TaskProvider] = []


def register_provider(kind: str, label, provider: TaskProvider) -> None:
    """Add a kind of task from an app above ``cases``: ``provider(user, now=…)`` returns at
    most ``TASK_LIST_SIZE`` tasks of ``kind`` (each with ``item`` and ``template``), read by
    a constant number of queries. Registering again replaces (a reloaded app)."""
    KIND_LABELS[kind] = label
    _providers[:] = [p for p in _providers if getattr(p, "kind", None) != kind]
    provider.kind = kind  # type: ignore[attr-defined]
    _providers.append(provider)


_ASSIGNED = (Kind.SERVICE, Kind.VERIFY)


def task_list(user, *, now: datetime | None = None) -> list[Task]:
    """The worker's open tasks, most urgent first: overdue and no-deadline items (a rejected
    report, a household never visited) before the rest, each kind by its deadline. What is
    assigned to them by name (service cases in hand, verifications) is never cut off the list
    by a community's worth of near deadlines or care tasks."""
    now = now or timezone.now()
    verify = [Task(Kind.VERIFY, c.due_at, case=c) for c in to_verify(user)[:TASK_LIST_SIZE]]
    in_hand = _in_hand(user)
    tasks = in_hand + verify + _rejected_today(user, now)
    tasks += [
        Task(Kind.VISIT, due.due_at, visit=due)
        for due in households_due_visit(user, now=now, limit=TASK_LIST_SIZE)
    ]
    tasks += _near_deadline(user, now, exclude={t.case.pk for t in verify + in_hand})
    for provider in _providers:
        tasks += provider(user, now=now)
    tasks.sort(key=lambda t: t.urgent_at or now)
    tasks = _keep_assigned(tasks)
    _add_thumbnails(tasks)
    return tasks


def _keep_assigned(tasks: list[Task]) -> list[Task]:
    """The first ``TASK_LIST_SIZE`` of ``tasks`` (sorted), making room for every task assigned
    to the user by name before the others."""
    if len(tasks) <= TASK_LIST_SIZE:
        return tasks
    assigned = [t for t in tasks if t.kind in _ASSIGNED][:TASK_LIST_SIZE]
    others = [t for t in tasks if t.kind not in _ASSIGNED][: TASK_LIST_SIZE - len(assigned)]
    keep = {id(t) for t in assigned + others}
    return [t for t in tasks if id(t) in keep]


def _add_thumbnails(tasks: list[Task]) -> None:
    """Each case task's first report photo, in one query."""
    by_case = {t.case.pk: t for t in tasks if t.case is not None}
    if not by_case:
        return
    photos = Attachment.objects.filter(
        case_id__in=sorted(by_case), stage=Attachment.Stage.REPORT
    ).only("id", "case_id")
    for photo in photos.order_by("-id"):  # the first (lowest id) of each case wins
        by_case[photo.case_id].photo = photo


@dataclass
class History:
    reports: list[Case]
    visits: list[Visit]


def history(user, *, now: datetime | None = None, days: int = 7) -> History:
    """What the worker finished: their reports closed or rejected, newest first, and their
    visits of the last ``days`` days."""
    now = now or timezone.now()
    reports = (
        cases_visible_to(user)
        .filter(reporter=user, status__in=(CaseStatus.CLOSED, CaseStatus.REJECTED))
        .order_by("-created_at", "-id")[:HISTORY_SIZE]
    )
    visits = (
        Visit.objects.filter(worker=user, visited_at__gte=now - timedelta(days=days))
        .select_related("household")
        .order_by("-visited_at")[:HISTORY_SIZE]
    )
    return History(reports=list(reports), visits=list(visits))
