"""Demo cases for ``seed_demo``.

``small``: a few hundred cases walked through the real transition services, so every state of
the loop is on screen and every timeline replays exactly. Routing rules send component and
event categories to their default department; public-service (S) categories wait for street
staff, as a person should judge them.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import shapely
from django.core.files.base import ContentFile
from django.utils import timezone
from tqdm import tqdm

from grids.models import Assignment, Department, GridCell, Role
from workflows import services

from .models import Case, Category, CategoryFamily, RoutingRule
from .photos.capture import Capture
from .services import create_case

# A 1×1 PNG: demo evidence photos only need to be real images, not pretty ones.
DEMO_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNoWNAAAANEAaGWcC2iAAAAAElFTkSuQmCC"
)
# Where each demo case ends up, with weights: every state of the loop, closed most often.
TARGETS = [
    ("collected", 10),
    ("rejected", 5),
    ("merged", 3),
    ("accepted", 7),
    ("dispatched", 9),
    ("handling", 10),
    ("extension", 3),
    ("suspended", 3),
    ("feedback", 9),
    ("closed", 32),
    ("reworked", 5),
    ("self_resolved", 4),
]
SPOTS = ["东门", "北侧", "3号楼旁", "路口", "小广场", "地下车库入口", "垃圾站旁", "公交站", "南门"]
DESCRIPTIONS = {
    CategoryFamily.COMPONENT: "巡查发现{spot}的{name}损坏，存在安全隐患，需尽快处理。",
    CategoryFamily.EVENT: "巡查发现{spot}有{name}情况，影响居民通行和环境。",
    CategoryFamily.SERVICE: "走访了解到{spot}附近居民需要{name}方面的帮助，请相关部门跟进。",
}


def photo() -> ContentFile:
    return ContentFile(DEMO_PNG, name="evidence.png")


def captured_photo(lon: float, lat: float, rng: random.Random) -> ContentFile:
    """A demo photo with what a phone sends with it (cases.photos.capture): a fix a few metres
    from the case, taken a minute or two before; one in fifteen taken 600 m away (marked far
    on the case page) and one in twenty from a phone whose clock runs 12 minutes fast."""
    file = photo()
    far = rng.random() < 1 / 15
    skew = 720 if rng.random() < 1 / 20 else rng.randint(-20, 20)
    file.capture = Capture(
        taken_at=timezone.now() - timedelta(seconds=rng.randint(30, 150)),
        lon=round(lon + (0.007 if far else rng.uniform(-0.0001, 0.0001)), 6),
        lat=round(lat + rng.uniform(-0.0001, 0.0001), 6),
        accuracy_m=rng.randint(4, 30),
        clock_skew_s=skew,
    )
    return file


@dataclass
class _Cast:
    """Who acts where, read once from the demo's assignments."""

    reporter: dict[int, object]  # cell id → grid worker
    staff: dict[int, object]  # street id → street staff
    handler: dict[int, object]  # department id → handler
    department: dict[str, Department]  # department kind → department

    @classmethod
    def load(cls) -> _Cast:
        reporter, staff, handler = {}, {}, {}
        for a in Assignment.objects.active().select_related("user").order_by("user_id"):
            if a.role == Role.GRID_WORKER and a.cell_id:
                reporter.setdefault(a.cell_id, a.user)
            elif a.role == Role.STREET_STAFF:
                staff.setdefault(a.street_id, a.user)
            elif a.role == Role.HANDLER:
                handler.setdefault(a.department_id, a.user)
        departments = {d.kind: d for d in Department.objects.filter(is_active=True)}
        return cls(reporter, staff, handler, departments)


def create_routing_rules(district) -> int:
    """District-wide rules for component and event categories with a default department."""
    departments = {d.kind: d for d in Department.objects.filter(district=district)}
    rules = [
        RoutingRule(
            category=category,
            district=district,
            department=departments[category.default_department_kind],
        )
        for category in Category.objects.subcategories().active()
        if category.family != CategoryFamily.SERVICE
        and category.default_department_kind in departments
    ]
    RoutingRule.objects.bulk_create(rules)
    return len(rules)


def _point_in(cell: GridCell, rng: random.Random) -> tuple[float, float]:
    polygon = shapely.geometry.shape(cell.geometry)
    while True:
        lon = rng.uniform(cell.min_lon, cell.max_lon)
        lat = rng.uniform(cell.min_lat, cell.max_lat)
        if polygon.contains(shapely.Point(lon, lat)):
            return round(lon, 6), round(lat, 6)


def create_demo_cases(
    cells: Sequence[GridCell], *, count: int, rng: random.Random, progress: bool = True
) -> int:
    """Report ``count`` cases in ``cells`` and walk each to a drawn state through the services."""
    cast = _Cast.load()
    categories = list(Category.objects.subcategories().active())
    routed = set(RoutingRule.objects.values_list("category_id", flat=True))
    targets, weights = zip(*TARGETS, strict=True)
    made = 0
    for _ in tqdm(range(count), unit="case", disable=not progress, desc="cases"):
        cell = rng.choice(cells)
        target = rng.choices(targets, weights)[0]
        # A case meant to wait in the street's queue must be of a category no rule routes.
        pool = [c for c in categories if c.pk not in routed] if target == "accepted" else categories
        category = rng.choice(pool)
        spot = rng.choice(SPOTS)
        lon, lat = _point_in(cell, rng)
        case = create_case(
            by=cast.reporter[cell.pk],
            title=f"{cell.community.name}{spot}{category.name}",
            description=DESCRIPTIONS[category.family].format(spot=spot, name=category.name),
            category_code=category.code,
            lon=lon,
            lat=lat,
            photos=[captured_photo(lon, lat, rng)]
            if category.family != CategoryFamily.SERVICE
            else [],
        )
        _walk(case, target, cast, rng)
        made += 1
    return made


def _walk(case: Case, target: str, cast: _Cast, rng: random.Random) -> None:
    """Move a fresh case along the loop until it reaches ``target``."""
    staff = cast.staff[case.street_id]
    if target == "collected":
        return
    if target == "rejected":
        services.reject_case(
            case_id=case.pk, by=staff, reason="不属于网格事项，已告知居民向物业反映。"
        )
        return
    if target == "merged":
        original = (
            Case.objects.filter(street_id=case.street_id, status="collected")
            .exclude(pk=case.pk)
            .order_by("pk")
            .first()
        )
        if original:
            services.merge_case(
                case_id=case.pk, by=staff, duplicate_of_id=original.pk, note="与已上报案件重复。"
            )
        return
    if target == "self_resolved":
        case = services.self_resolve_case(
            case_id=case.pk, by=case.reporter, note="现场已协调解决。", photos=[photo()]
        )
        if rng.random() < 0.5:
            _verify(case)
        return
    case = services.accept_case(case_id=case.pk, by=staff)
    if target == "accepted":
        return
    department = cast.department.get(case.category.default_department_kind) or next(
        iter(cast.department.values())
    )
    handler = cast.handler[department.pk]
    services.dispatch_case(case_id=case.pk, by=staff, department_id=department.pk)
    if target == "dispatched":
        return
    case = services.start_case(case_id=case.pk, by=handler)
    if target == "handling":
        return
    if target == "extension":
        services.request_extension(
            case_id=case.pk,
            by=handler,
            reason="需协调多个产权单位。",
            due_at=case.due_at + timedelta(days=3),
        )
        return
    if target == "suspended":
        services.suspend_case(
            case_id=case.pk,
            by=staff,
            reason="需等待专项资金审批。",
            review_at=timezone.now() + timedelta(days=rng.randint(7, 60)),
        )
        return
    case = services.report_case(case_id=case.pk, by=handler, note="已处置完毕。", photos=[photo()])
    if target == "feedback":
        return
    if target == "reworked":
        case = services.verify_fail(case_id=case.pk, by=case.verifier, reason="现场复核仍未修复。")
        services.start_case(case_id=case.pk, by=handler)
        case = services.report_case(
            case_id=case.pk, by=handler, note="已返工处理。", photos=[photo()]
        )
    _verify(case)


def _verify(case: Case) -> None:
    services.verify_pass(
        case_id=case.pk, by=case.verifier, note="现场核查，已解决。", photos=[photo()]
    )


def delete_cases(cases) -> None:
    """Delete ``cases`` and every row that points at them, in bulk.

    Events are append-only for the application; deleting a whole demo district is the one
    exception, so this goes below the ORM's guards (``_raw_delete``), child tables first.
    """
    for relation in Case._meta.related_objects:
        if relation.related_model is Case:  # duplicate_of: same table, gone with the cases
            continue
        rows = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": cases})
        rows._raw_delete(rows.db)
    Case.objects.filter(duplicate_of__in=cases).update(duplicate_of=None)
    cases._raw_delete(cases.db)


def create_nearby_report(cell: GridCell, *, by) -> Case:
    """An open report at the middle of ``cell`` (the demo worker's), by someone else, so that
    the worker who reports the same kind of problem there is asked "already reported?" on
    ``/report/`` (``cases.selectors.open_cases_near``)."""
    point = shapely.geometry.shape(cell.geometry).representative_point()
    category = Category.objects.subcategories().active().order_by("code").first()
    return create_case(
        by=by,
        title=f"{cell.name}中心{category.name}",
        description=f"{cell.name}中心{category.name}有问题，请核实处理（附近再上报同类问题时会提示）。",
        category_code=category.code,
        lon=round(point.x, 6),
        lat=round(point.y, 6),
    )
