"""Demo cases for ``seed_demo``: the words and places of a case, who acts where, the
routing rules, and deleting a demo district's cases. The cases themselves are played through
the real services by ``demo.history``. Routing rules send component and event categories to
their default department; public-service (S) categories wait for street staff, as a person
should judge them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import shapely

from grids.models import Assignment, Department, GridCell, Role

from .models import Case, Category, CategoryFamily, RoutingRule
from .services import create_case

SPOTS = ["东门", "北侧", "3号楼旁", "路口", "小广场", "地下车库入口", "垃圾站旁", "公交站", "南门"]
DESCRIPTIONS = {
    CategoryFamily.COMPONENT: "巡查发现{spot}的{name}损坏，存在安全隐患，需尽快处理。",
    CategoryFamily.EVENT: "巡查发现{spot}有{name}情况，影响居民通行和环境。",
    CategoryFamily.SERVICE: "走访了解到{spot}附近居民需要{name}方面的帮助，请相关部门跟进。",
}


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
