"""报到率 and average arrival time per department (吹哨报到, DESIGN §8), beside the indicators.

What is counted is a case a department was summoned to, by its first summons to that case
(``first_summons_q``): in the period that summons was made in (``summoned_at``, local days),
for the department and the case's street. A department summoned again to the same case is
still one case — the one its drill-down lists — and a day's count never changes with later
days, so the rolled-up days add up exactly.

- 吹哨数 ``summoned``: cases summoned to;
- 报到数 ``checked_in``: of those, checked in (报到) at the first summons;
- 按时报到 ``on_time``: the first summons checked in by ``arrive_by`` and never marked late
  by the scanner (``cases.models.joint.arrived_on_time``, the one definition);
- 报到率 ``check_in_rate`` = on_time / summoned (``None`` under ``MIN_CASES``, shown "—", as
  every rate);
- 平均到场用时 ``avg_arrival_minutes``: mean minutes from summons to check-in, over those
  check-ins.

Days up to the last rolled-up day are read from ``ArrivalRollup`` (written with the other
rollups of the day, ``write_arrival_day``); later days from the summonses themselves. The
drill-down (``arrival_q``) lists exactly the cases counted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from cases.models import Summons
from cases.models.joint import arrived_on_time, arrived_on_time_q
from grids.models import Street

from .indicators import ratio
from .models import ArrivalRollup

ARRIVAL_FIELDS = ("summoned", "checked_in", "on_time", "arrival_seconds")


def _counted(t0: datetime, t1: datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}summoned_at__gte": t0, f"{prefix}summoned_at__lt": t1})


def first_summons_q() -> Q:
    """The first summons of its department to its case (no earlier one)."""
    earlier = Summons.objects.filter(
        case_id=OuterRef("case_id"), department_id=OuterRef("department_id")
    ).filter(
        Q(summoned_at__lt=OuterRef("summoned_at"))
        | Q(summoned_at=OuterRef("summoned_at"), pk__lt=OuterRef("pk"))
    )
    return ~Exists(earlier)


def _counted_summonses(t0: datetime, t1: datetime) -> QuerySet[Summons]:
    """The summonses whose cases are counted in ``[t0, t1)``: one per department and case."""
    return Summons.objects.filter(_counted(t0, t1), first_summons_q())


def live_counts(t0: datetime, t1: datetime, *, streets: list[int]) -> dict[tuple, dict]:
    """Counts per (department, street) of the cases counted in ``[t0, t1)`` (one query)."""
    rows = (
        _counted_summonses(t0, t1)
        .filter(case__street_id__in=streets)
        .values_list(
            "department_id",
            "case__street_id",
            "summoned_at",
            "arrive_by",
            "checked_in_at",
            "overdue",
        )
    )
    out: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(ARRIVAL_FIELDS, 0))
    for department, street, summoned_at, arrive_by, checked_in_at, overdue in rows:
        counts = out[(department, street)]
        counts["summoned"] += 1
        if checked_in_at is not None:
            counts["checked_in"] += 1
            counts["on_time"] += arrived_on_time(checked_in_at, arrive_by, overdue=overdue)
            counts["arrival_seconds"] += round((checked_in_at - summoned_at).total_seconds())
    return out


def write_arrival_day(day: date, t0: datetime, t1: datetime) -> None:
    """Replace ``day``'s arrival rollup rows (``[t0, t1)`` is the day) from the summonses."""
    streets = dict(Street.objects.values_list("id", "district_id"))
    counts = live_counts(t0, t1, streets=list(streets))
    with transaction.atomic():
        ArrivalRollup.objects.filter(start=day).delete()
        ArrivalRollup.objects.bulk_create(
            ArrivalRollup(
                start=day,
                department_id=department,
                street_id=street,
                district_id=streets[street],
                **row,
            )
            for (department, street), row in counts.items()
        )


def department_arrivals(
    *, streets: list[int], first: date, last: date, rolled_to: date | None, live: tuple
) -> dict[int, dict]:
    """Counts per department over ``[first, last]``: rollup rows up to ``rolled_to``, then
    the summonses of ``live`` (``(t0, t1)``, the rest of the period) — two queries."""
    out: dict[int, dict] = defaultdict(lambda: dict.fromkeys(ARRIVAL_FIELDS, 0))
    if rolled_to is not None and rolled_to >= first:
        rows = (
            ArrivalRollup.objects.filter(street_id__in=streets, start__range=(first, rolled_to))
            .order_by()
            .values("department_id")
            .annotate(**{name: Sum(name) for name in ARRIVAL_FIELDS})
        )
        for row in rows:
            for name in ARRIVAL_FIELDS:
                out[row["department_id"]][name] += row[name]
    if live[0] < live[1]:
        for (department, _street), row in live_counts(*live, streets=streets).items():
            for name in ARRIVAL_FIELDS:
                out[department][name] += row[name]
    return out


def arrival_indicators(counts: dict) -> dict:
    """报到率 and the average arrival time from a department's counts."""
    checked_in = counts["checked_in"]
    return {
        "check_in_rate": ratio(counts["on_time"], counts["summoned"]),
        "avg_arrival_minutes": (
            round(counts["arrival_seconds"] / checked_in / 60, 1) if checked_in else None
        ),
    }


def arrival_q(figure: str, *, department: int, t0: datetime, t1: datetime) -> Q:
    """The cases ``figure`` counts for ``department`` in ``[t0, t1)``."""
    summonses = _counted_summonses(t0, t1).filter(department_id=department)
    if figure == "checked_in_on_time":
        summonses = summonses.filter(arrived_on_time_q())
    return Q(pk__in=summonses.values("case_id"))


def add_arrivals(rows: list[dict], counts: dict[int, dict]) -> None:
    """Put each department row's arrival counts, 报到率 and average arrival time in place."""
    for row in rows:
        mine = counts.get(row["id"]) or dict.fromkeys(ARRIVAL_FIELDS, 0)
        row["counts"] |= {
            "summoned": mine["summoned"],
            "checked_in": mine["checked_in"],
            "checked_in_on_time": mine["on_time"],  # the drill-down's figure name
        }
        row["indicators"] |= arrival_indicators(mine)
        row["fractions"]["check_in_rate"] = [mine["on_time"], mine["summoned"]]
