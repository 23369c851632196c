"""Ledgers written by the system (台账): what was entered once — visits, cases, care tasks,
volunteer hours — read back per community (or street), month and, optionally, worker, in
the fixed layout communities are asked for. One sheet per ledger in Excel (Chinese headers,
``openpyxl`` in write-only mode) and the same tables on a print-friendly page.

Scope: only those who see residents keep ledgers (``RESIDENT_ROLES``: not a volunteer, who
sees no personal data, nor a handler, whose scope is their department's cases), else
``Http404``; the territory must lie within one the reader serves in such a role (else
``Http404``); a worker's ledger is the reader's own or that of someone assigned within their
scope. Names and addresses are whole only in the cells the reader serves (``cells_open_to``),
masked elsewhere (an overseer's ledger), as in every list. Each ledger is one query over
``values_list`` rows (no model instances): a street's month is tens of thousands of rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from io import BytesIO

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from cases.models import Case, CaseSource, CaseStatus
from grids.models import Assignment, Community, Street
from grids.selectors import (
    active_assignments,
    assignment_scope_q,
    cell_scope_q,
    territory_scope_q,
)
from residents.display import tag_name
from residents.masking import mask_address, mask_name
from residents.models import Visit
from residents.selectors import RESIDENT_ROLES, cells_open_to

from .models import CareKind, CareTask, Frequency, TaskStatus
from .selectors import called

VISITS, CASES, CARE, VOLUNTEER = "visits", "cases", "care", "volunteer"


@dataclass
class Ledger:
    key: str
    title: str
    headers: list[str]
    widths: list[int]
    rows: list[tuple] = field(default_factory=list)


@dataclass
class LedgerSet:
    """A month's four ledgers for one territory (and worker)."""

    unit: str
    month: date
    worker: object | None
    ledgers: list[Ledger]

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def filename(self) -> str:
        who = f"-{self.worker}" if self.worker else ""
        return f"台账-{self.unit}{who}-{self.month:%Y%m}.xlsx"


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    after = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    start = timezone.make_aware(datetime.combine(first, time()))
    return start, timezone.make_aware(datetime.combine(after, time()))


def _territory(user, *, street_id, community_id) -> tuple[str, Q]:
    """The unit's name and a Q over rows reaching a cell through ``cell__``; ``Http404``
    when out of the reader's scope."""
    if community_id is not None:
        community = (
            Community.objects.filter(
                territory_scope_q(user, "community", roles=RESIDENT_ROLES), pk=community_id
            )
            .select_related("street")
            .first()
        )
        if community is None:
            raise Http404("no such community")
        return f"{community.street.name}{community.name}", Q(cell__community=community)
    if street_id is not None:
        street = Street.objects.filter(
            territory_scope_q(user, "street", roles=RESIDENT_ROLES), pk=street_id
        ).first()
        if street is None:
            raise Http404("no such street")
        return street.name, Q(cell__community__street=street)
    return "", cell_scope_q(user, "cell__", roles=RESIDENT_ROLES)


def _worker(user, worker_id):
    if worker_id is None:
        return None
    User = get_user_model()
    if worker_id == user.pk:
        return user
    in_scope = Assignment.objects.filter(assignment_scope_q(user), user_id=worker_id)
    worker = User.objects.filter(pk=worker_id, pk__in=in_scope.values("user_id")).first()
    if worker is None:
        raise Http404("no such worker")
    return worker


def build_ledgers(
    user,
    *,
    month: date,
    street_id: int | None = None,
    community_id: int | None = None,
    worker_id: int | None = None,
) -> LedgerSet:
    """The month's ledgers for a community (or a street; without either, the reader's whole
    scope, which is how a grid worker asks for their own), optionally narrowed to one
    worker's work. ``Http404`` for a reader without a ledger role, or a territory or worker
    outside the reader's scope."""
    ledger_role = active_assignments(user).filter(role__in=RESIDENT_ROLES).exists()
    if not (user.is_superuser or ledger_role):
        raise Http404("no ledgers for this role")
    unit, where = _territory(user, street_id=street_id, community_id=community_id)
    worker = _worker(user, worker_id)
    if not unit:
        unit = str(worker or user)
    start, end = month_bounds(month)
    served = set(cells_open_to(user).values_list("id", flat=True))
    names = _People()
    ledgers = [
        _visits(where, start, end, worker, served, names),
        _cases(where, start, end, worker),
        _care(where, month, worker, served, names),
        _volunteering(where, start, end, worker, names),
    ]
    return LedgerSet(unit=unit, month=month.replace(day=1), worker=worker, ledgers=ledgers)


class _People:
    """Display names of the users named in the rows, fetched once."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def load(self, ids: Iterable[int | None]) -> None:
        missing = {i for i in ids if i is not None and i not in self._names}
        if missing:
            for pk, display, username in (
                get_user_model()
                .objects.filter(pk__in=missing)
                .values_list("pk", "display_name", "username")
            ):
                self._names[pk] = display or username

    def __getitem__(self, pk: int | None) -> str:
        return self._names.get(pk, "") if pk is not None else ""


def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


def _visits(where, start, end, worker, served, names) -> Ledger:
    rows = Visit.objects.filter(
        _via(where, "household__"), visited_at__gte=start, visited_at__lt=end
    )
    if worker is not None:
        rows = rows.filter(worker=worker)
    data = list(
        rows.order_by("visited_at", "id").values_list(
            "visited_at",
            "household__cell__community__name",
            "household__cell__name",
            "household__cell_id",
            "household__address",
            "worker_id",
            "note",
        )
    )
    names.load(r[5] for r in data)
    ledger = Ledger(
        VISITS,
        "走访台账",
        ["序号", "走访时间", "社区", "网格", "户址", "走访人", "走访情况"],
        [6, 18, 14, 12, 36, 10, 40],
    )
    ledger.rows = [
        (
            i,
            _local(at),
            community,
            cell,
            address if cell_id in served else mask_address(address),
            names[worker_id],
            note,
        )
        for i, (at, community, cell, cell_id, address, worker_id, note) in enumerate(data, 1)
    ]
    return ledger


def _via(where: Q, prefix: str) -> Q:
    """``where`` (over ``cell__…``) re-rooted at ``prefix`` (e.g. a visit's household)."""
    q = Q()
    q.connector, q.negated = where.connector, where.negated
    for child in where.children:
        if isinstance(child, Q):
            q.children.append(_via(child, prefix))
        else:
            q.children.append((prefix + child[0], child[1]))
    return q


STATUS = dict(CaseStatus.choices)
SOURCE = dict(CaseSource.choices)


def _cases(where, start, end, worker) -> Ledger:
    rows = Case.objects.filter(where, created_at__gte=start, created_at__lt=end)
    if worker is not None:
        rows = rows.filter(Q(reporter=worker) | Q(handler=worker))
    data = rows.order_by("created_at", "id").values_list(
        "number",
        "created_at",
        "category__code",
        "category__name",
        "title",
        "cell__community__name",
        "cell__name",
        "source",
        "status",
        "department__name",
        "closed_at",
        "overdue",
    )
    ledger = Ledger(
        CASES,
        "事件台账",
        [
            "序号",
            "案件编号",
            "上报时间",
            "类别",
            "标题",
            "社区",
            "网格",
            "来源",
            "状态",
            "处置部门",
            "办结时间",
            "是否超期",
        ],
        [6, 22, 18, 24, 30, 14, 12, 10, 10, 16, 18, 8],
    )
    ledger.rows = [
        (
            i,
            number,
            _local(created),
            f"{code} {category}",
            title,
            community,
            cell,
            str(SOURCE.get(source, source)),
            str(STATUS.get(status, status)),
            department or "",
            _local(closed),
            "是" if overdue else "否",
        )
        for i, (
            number,
            created,
            code,
            category,
            title,
            community,
            cell,
            source,
            status,
            department,
            closed,
            overdue,
        ) in enumerate(data, 1)
    ]
    return ledger


KIND = dict(CareKind.choices)
FREQUENCY = dict(Frequency.choices)
TASK_STATUS = {TaskStatus.OPEN: "未完成", TaskStatus.TAKEN: "已认领", TaskStatus.DONE: "已完成"}


def _task_status(status: str, due: date, today: date) -> str:
    if status != TaskStatus.DONE and due < today:
        return "逾期未完成"
    return TASK_STATUS.get(status, status)


def _care(where, month, worker, served, names) -> Ledger:
    first = month.replace(day=1)
    last = timezone.localtime(month_bounds(first)[1]).date()
    rows = CareTask.objects.filter(where, due_on__gte=first, due_on__lt=last)
    if worker is not None:
        rows = rows.filter(Q(assignee=worker) | Q(done_by=worker))
    data = list(
        rows.order_by("due_on", "id").values_list(
            "plan__resident__name",
            "plan__tag__name",
            "plan__tag__sensitive",
            "cell__community__name",
            "cell__name",
            "cell_id",
            "plan__kind",
            "plan__frequency",
            "due_on",
            "done_at",
            "done_by_id",
            "organisation__name",
            "note",
            "status",
            "case__number",
        )
    )
    names.load(r[10] for r in data)
    today = timezone.localdate()
    ledger = Ledger(
        CARE,
        "特殊人群服务台账",
        [
            "序号",
            "服务对象",
            "类别",
            "社区",
            "网格",
            "服务内容",
            "频次",
            "计划日期",
            "完成时间",
            "服务人",
            "情况记录",
            "状态",
            "转办案件",
        ],
        [6, 10, 12, 14, 12, 16, 10, 12, 18, 16, 36, 8, 22],
    )
    ledger.rows = [
        (
            i,
            name if cell_id in served else mask_name(name),
            tag_name(tag, sensitive=sensitive, served=cell_id in served),
            community,
            cell,
            str(KIND.get(kind, kind)),
            str(FREQUENCY.get(frequency, frequency)),
            due.isoformat(),
            _local(done_at),
            " / ".join(x for x in (names[done_by], organisation or "") if x),
            note,
            _task_status(status, due, today),
            case_number or "",
        )
        for i, (
            name,
            tag,
            sensitive,
            community,
            cell,
            cell_id,
            kind,
            frequency,
            due,
            done_at,
            done_by,
            organisation,
            note,
            status,
            case_number,
        ) in enumerate(data, 1)
    ]
    return ledger


def _volunteering(where, start, end, worker, names) -> Ledger:
    rows = CareTask.objects.filter(
        where, status=TaskStatus.DONE, hours__isnull=False, done_at__gte=start, done_at__lt=end
    )
    if worker is not None:
        rows = rows.filter(done_by=worker)
    data = list(
        rows.order_by("done_at", "id").values_list(
            "done_by_id",
            "organisation__name",
            "done_at",
            "plan__kind",
            "plan__resident__name",
            "plan__resident__gender",
            "plan__resident__birth_date",
            "cell__community__name",
            "hours",
            "note",
        )
    )
    names.load(r[0] for r in data)
    today = timezone.localdate()
    ledger = Ledger(
        VOLUNTEER,
        "志愿服务台账",
        [
            "序号",
            "志愿者",
            "所属组织",
            "服务时间",
            "服务内容",
            "服务对象",
            "社区",
            "时长(小时)",
            "情况记录",
        ],
        [6, 10, 18, 18, 16, 10, 14, 10, 36],
    )
    ledger.rows = [
        (
            i,
            names[by],
            organisation or "",
            _local(done_at),
            str(KIND.get(kind, kind)),
            called(name, gender, birth, today),
            community,
            float(hours),
            note,
        )
        for i, (
            by,
            organisation,
            done_at,
            kind,
            name,
            gender,
            birth,
            community,
            hours,
            note,
        ) in enumerate(data, 1)
    ]
    return ledger


def workbook(ledgers: LedgerSet) -> bytes:
    """The ledgers as one .xlsx: a sheet per ledger, its title, the unit and month, then the
    Chinese headers and the rows (fixed layout: same columns every month)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for ledger in ledgers.ledgers:
        sheet = book.create_sheet(ledger.title)
        for index, width in enumerate(ledger.widths):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        sheet.freeze_panes = "A4"
        title = WriteOnlyCell(sheet, value=ledger.title)
        title.font = Font(bold=True, size=14)
        sheet.append([title])
        sheet.append(
            [f"单位：{ledgers.unit}", f"月份：{ledgers.month_label}"]
            + ([f"人员：{ledgers.worker}"] if ledgers.worker else [])
        )
        headers = []
        for text in ledger.headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            cell.alignment = Alignment(horizontal="center")
            headers.append(cell)
        sheet.append(headers)
        for row in ledger.rows:
            sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
