"""Assessment fixtures: the case personas, API clients, and a builder of cases with chosen
timestamps (the indicators are about *when* things happened, which the services stamp with
``now``)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from assessment.models import Satisfaction
from cases.models import Case, CaseStatus, Category
from grids.models import Assignment, Role
from workflows.models import NotificationKind, SlaNotice

from ..api.conftest import client_for  # noqa: F401  (fixtures are found by name)
from ..cases.personas import (  # noqa: F401
    _media_in_tmp,
    _no_cross_check,
    cast,
    other_department,
    other_handler,
    staff2,
    worker_a2,
)
from ..factories import assigned_user

S = CaseStatus
TZ = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock local time on ``day``."""
    return datetime.combine(day, time(hour), tzinfo=TZ)


def make_case(cell, *, status: str, created: datetime, **fields) -> Case:
    """A case row in ``cell`` with the given state and timestamps, written directly.

    ``late=True`` adds the SLA scanner's overdue notice (the record that a step went past
    its deadline); ``reporter`` receives it.
    """
    late = fields.pop("late", False)
    case = Case(
        number=f"T-{next(_numbers):06d}",
        title="测试案件",
        description="测试",
        category=fields.pop("category", None) or Category.objects.get(code="C0101"),
        priority="high",
        lon=116.405,
        lat=39.905,
        cell=cell,
        street=cell.community.street,
        status=status,
        step_started_at=fields.pop("step_started_at", created),
        created_at=created,
        **fields,
    )
    case.save()
    if late:
        SlaNotice.objects.create(case=case, kind=NotificationKind.OVERDUE, version=1, at=created)
    return case


@pytest.fixture
def period() -> tuple[date, date]:
    """A finished week, three weeks ago: D1 … D7."""
    start = timezone.localdate() - timedelta(days=21)
    return start, start + timedelta(days=6)


@pytest.fixture
def dataset(territory, worker_a, period):
    """Cases of cell A around the period D1…D7 (the week three weeks ago)."""
    start, end = period
    cell = territory.cell_a
    d = {i: start + timedelta(days=i - 1) for i in range(0, 10)}  # d[1] = D1 … d[7] = D7
    d[-4] = start - timedelta(days=5)
    d[-2] = start - timedelta(days=3)
    kw = {"reporter": worker_a, "department": territory.department}

    def closed(created, accepted, closed_at, **extra):
        return make_case(
            cell,
            status=S.CLOSED,
            created=created,
            accepted_at=accepted,
            closed_at=closed_at,
            reported_at=closed_at - timedelta(hours=1),
            **kw,
            **extra,
        )

    cases = {
        # filed D1, closed D2 after 24 h, on time, no rework
        "c1": closed(at(d[1], 8), at(d[1], 9), at(d[2], 9)),
        # filed D1 (a resident's report), closed D3 after 48 h, late, one rework
        "c2": closed(
            at(d[1], 8), at(d[1], 9), at(d[3], 9), late=True, rework_count=1, source="resident"
        ),
        # filed D2, closed D4 after 48 h, on time, two reworks
        "c3": closed(at(d[2], 8), at(d[2], 9), at(d[4], 9), rework_count=2),
        # filed before the period (hotline), closed D5 after 120 h, on time
        "c8": closed(at(d[0], 8), at(d[0], 9), at(d[5], 9), source="hotline"),
        # filed D2, still handling, overdue since D5: 应结 in this period
        "c4": make_case(
            cell,
            status=S.HANDLING,
            created=at(d[2], 8),
            accepted_at=at(d[2], 9),
            due_at=at(d[5], 12),
            overdue=True,
            **kw,
        ),
        # filed D3, overdue since before the period: counts against that earlier period
        "c5": make_case(
            cell,
            status=S.DISPATCHED,
            created=at(d[3], 8),
            accepted_at=at(d[3], 9),
            due_at=at(d[-2], 12),
            overdue=True,
            **kw,
        ),
        # resolved on the spot on D4 (never accepted): filed, awaiting verification
        "c6": make_case(
            cell, status=S.FEEDBACK, created=at(d[4], 8), reported_at=at(d[4], 8), reporter=worker_a
        ),
        # rejected on D4: not filed
        "c7": make_case(
            cell,
            status=S.REJECTED,
            created=at(d[4], 8),
            step_started_at=at(d[4], 11),
            reporter=worker_a,
        ),
        # filed D6, open, due after the period
        "c9": make_case(
            cell,
            status=S.ACCEPTED,
            created=at(d[6], 8),
            accepted_at=at(d[6], 9),
            due_at=at(d[9], 12),
            **kw,
        ),
        # created after the period, still collected (not in the period's backlog)
        "c10": make_case(
            cell, status=S.COLLECTED, created=at(end + timedelta(days=5), 8), reporter=worker_a
        ),
    }
    ratings = [("c1", 5, d[3]), ("c2", 2, d[4]), ("c3", 4, d[5]), ("c8", 3, d[9])]
    for name, value, day in ratings:  # c8's rating comes after the period
        Satisfaction.objects.create(
            case=cases[name], score=value, rated_at=at(day, 15), channel="link"
        )
    return cases


@pytest.fixture
def served(territory, worker_a, period):
    """worker_old served cell A until D2; worker_a from D3 on."""
    old = assigned_user(Role.GRID_WORKER, "cell", territory.cell_a, "worker_old")
    d = {i: period[0] + timedelta(days=i - 1) for i in range(1, 8)}
    Assignment.objects.filter(user=old).update(valid_from=d[1] - timedelta(days=60), valid_to=d[2])
    Assignment.objects.filter(user=worker_a).update(valid_from=d[3])
    return old, d


def public_report(cell, day, **extra):
    fields = {"source": "resident", "status": S.ACCEPTED, "accepted_at": at(day, 9)}
    return make_case(cell, created=at(day, 8), **{**fields, **extra})


@pytest.fixture
def reports(territory, worker_a, served):
    old, d = served
    cell = territory.cell_a
    public_report(cell, d[1])  # missed by worker_old (D1)
    public_report(cell, d[4])  # missed by worker_a (D4)
    public_report(cell, d[4], source="hotline")  # missed by worker_a (D4)
    public_report(cell, d[5], category=Category.objects.get(code="S0101"))  # a service request
    public_report(cell, d[5], status=S.REJECTED, accepted_at=None)  # not accepted
    found_first = public_report(cell, d[6])  # worker_a had reported it first; merged into it
    make_case(cell, status=S.REJECTED, created=at(d[6], 7), reporter=worker_a, source="patrol",
              duplicate_of=found_first)  # fmt: skip
    make_case(cell, status=S.ACCEPTED, created=at(d[6], 7), accepted_at=at(d[6], 9),
              reporter=worker_a, source="patrol")  # fmt: skip
    return old
