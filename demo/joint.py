"""Joint handling in the demo (吹哨报到, issue 16), played through the real services:

- a week of summonses in the first street: each day a fire-lane case is dispatched to 城管,
  both 城管 and 消防 are summoned; 消防 checks in within its time, 城管 is late twice (the
  summons scanner marks it) — so the dashboard's 报到率 and arrival times have figures, and
  the rollups hold them;
- today, the showcase: a case dispatched to 城管 with 消防 as co-department (协办) and its part,
  both summoned, 消防 checked in on site, 城管 on the way (demo_handler's to do);
- a transfer request (转办) from 城管 to 市场监管 waiting in the street's approvals.

Runs before the day rollups (``wrap_up``), so the past days are rolled up with the rest.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

import time_machine
from django.utils import timezone

from cases.demo import _Cast, _point_in
from cases.models import Case, Category, CategoryFamily
from cases.services import create_case
from grids.models import DepartmentKind, GridCell
from workflows import services
from workflows.summons import scan_summonses

from .photos import PhotoStudio

PAST_DAYS = 6
# Minutes to check in, per past day: (城管, 消防); over 30 is late.
ARRIVALS = [(18, 12), (25, 15), (42, 20), (22, 9), (55, 14), (28, 16)]
CASES = len(ARRIVALS) + 2  # the past days' cases, the showcase and the transfer request


def _category() -> Category:
    """A street-order event category (街面秩序: 占道), else the first event category."""
    events = Category.objects.subcategories().active().filter(family=CategoryFamily.EVENT)
    return events.filter(code__startswith="E04").order_by("code").first() or events.first()


def _photos(studio: PhotoStudio, needed: bool) -> list:
    return [studio.photo()] if needed else []


def _dispatched(cast: _Cast, cell: GridCell, category: Category, rng, title: str) -> Case:
    lon, lat = _point_in(cell, rng)
    case = create_case(
        by=cast.reporter[cell.pk],
        title=title,
        description=f"{cell.community.name}{title}，需城管、消防联合处置。",
        category_code=category.code,
        lon=lon,
        lat=lat,
    )
    urban = cast.department[DepartmentKind.URBAN_MANAGEMENT]
    return services.accept_and_dispatch_case(
        case_id=case.pk, by=cast.staff[cell.community.street_id], department_id=urban.pk
    )


def create_joint_demo(
    cells: Sequence[GridCell], *, rng: random.Random, seed: int = 16
) -> dict[str, int]:
    cast = _Cast.load()
    studio = PhotoStudio(seed)
    cell = cells[0]
    staff = cast.staff[cell.community.street_id]
    urban = cast.department[DepartmentKind.URBAN_MANAGEMENT]
    fire = cast.department[DepartmentKind.FIRE]
    market = cast.department[DepartmentKind.MARKET_REGULATION]
    category = _category()
    both = [urban.pk, fire.pk]
    now = timezone.now()
    summoned = 0
    for day, (urban_minutes, fire_minutes) in enumerate(ARRIVALS, start=1):
        start = (now - timedelta(days=PAST_DAYS + 1 - day)).replace(hour=10, minute=0)
        with time_machine.travel(start, tick=False):
            case = _dispatched(cast, cell, category, rng, "消防通道被占用")
            services.summon(case_id=case.pk, by=staff, department_ids=both)
        summoned += 2
        for department, minutes in sorted(
            ((fire, fire_minutes), (urban, urban_minutes)), key=lambda pair: pair[1]
        ):
            moment = start + timedelta(minutes=minutes)
            with time_machine.travel(moment, tick=False):
                scan_summonses()  # a late department is marked before it arrives
                services.check_in(
                    case_id=case.pk, by=cast.handler[department.pk], lon=case.lon, lat=case.lat
                )
        with time_machine.travel(start + timedelta(hours=2), tick=False):
            handler = cast.handler[urban.pk]
            services.start_case(case_id=case.pk, by=handler)
            case = services.report_case(
                case_id=case.pk,
                by=handler,
                note="占道物品已清理",
                photos=_photos(studio, category.requires_result_photo),
            )
        with time_machine.travel(start + timedelta(hours=4), tick=False):
            services.verify_pass(
                case_id=case.pk,
                by=case.verifier,
                note="消防通道已畅通",
                photos=_photos(studio, category.requires_verification_photo),
            )
    # Today: the showcase joint case.
    case = _dispatched(cast, cell, category, rng, "违建占用消防通道")
    services.add_codepartment(
        case_id=case.pk, by=staff, department_id=fire.pk, note="核查消防通道占用，出具整改意见"
    )
    services.summon(case_id=case.pk, by=staff, department_ids=both)
    services.check_in(case_id=case.pk, by=cast.handler[fire.pk], lon=case.lon, lat=case.lat)
    # And a transfer request waiting for the street.
    other = _dispatched(cast, cell, category, rng, "无证经营占道")
    services.request_transfer(
        case_id=other.pk,
        by=cast.handler[urban.pk],
        department_id=market.pk,
        reason="无照经营属市场监管职责",
    )
    return {"joint_case": case.pk, "summonses": summoned + 2, "transfer_case": other.pk}
