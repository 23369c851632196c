"""Demo territory, departments and people for ``seed_demo``.

The district is a lattice: streets are blocks of communities, communities blocks of cells.
Inside a community the lattice nodes are jittered so cells look like real blocks, while the
nodes on a community's edge stay on it, so cells tile their community exactly (every shared
edge is the same pair of coordinates on both sides) and pass ``check_coverage``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from .geometry import footprint, parse_polygon
from .models import (
    Assignment,
    Community,
    CommunityType,
    Department,
    DepartmentKind,
    District,
    GridCell,
    Role,
    ScopeLevel,
    Street,
)
from .spatial import invalidate_cell_index

DEMO_PASSWORD = "gridgov-demo"
DISTRICT_CODE, DISTRICT_NAME = "110105", "朝阳区"
ORIGIN_LON, ORIGIN_LAT = 116.43, 39.88
CELL_DLON, CELL_DLAT = 0.003, 0.0025  # ≈ 256 m × 277 m at this latitude


@dataclass(frozen=True)
class Scale:
    """Blocks per level as (columns, rows)."""

    streets: tuple[int, int]
    communities: tuple[int, int]
    cells: tuple[int, int]
    residents: int
    cases: int  # walked through the transition services (timelines replay field by field)
    history: int  # three years of finished histories, written in bulk


SCALES = {
    "small": Scale(
        streets=(2, 1), communities=(1, 2), cells=(5, 1), residents=2_000, cases=300, history=0
    ),
    "district": Scale(
        streets=(5, 4),
        communities=(5, 3),
        cells=(2, 5),
        residents=1_000_000,
        cases=200,
        history=2_000_000,
    ),
}

STREET_NAMES = [
    "朝外",
    "建外",
    "呼家楼",
    "三里屯",
    "左家庄",
    "香河园",
    "和平街",
    "安贞",
    "亚运村",
    "小关",
    "酒仙桥",
    "麦子店",
    "团结湖",
    "六里屯",
    "八里庄",
    "双井",
    "劲松",
    "潘家园",
    "垡头",
    "南磨房",
]
COMMUNITY_WORDS = [
    "光华",
    "金台",
    "东大桥",
    "神路",
    "芳草地",
    "永安里",
    "秀水",
    "北郎家园",
    "华侨村",
    "幸福",
    "白家庄",
    "核桃园",
    "枣营",
    "农展",
    "甜水园",
    "十里堡",
    "红庙",
    "延静里",
    "道家园",
    "水碓子",
    "石佛营",
    "晨光",
    "南湖",
    "望京",
    "花家地",
    "星河湾",
    "观湖",
    "西坝河",
    "樱花园",
    "惠新",
]
# Community types with rough weights for a big-city district.
COMMUNITY_TYPES = [
    (CommunityType.COMMERCIAL, 30),
    (CommunityType.NEIGHBOURHOOD, 20),
    (CommunityType.WORK_UNIT, 15),
    (CommunityType.MIXED, 15),
    (CommunityType.FRINGE, 10),
    (CommunityType.MIGRANT, 8),
    (CommunityType.ETHNIC_CULTURAL, 2),
]
DEPARTMENT_NAMES = {
    DepartmentKind.URBAN_MANAGEMENT: "朝阳区城市管理综合执法局",
    DepartmentKind.FIRE: "朝阳区消防救援支队",
    DepartmentKind.MARKET_REGULATION: "朝阳区市场监督管理局",
    DepartmentKind.POLICE: "朝阳公安分局",
    DepartmentKind.HOUSING: "朝阳区住房和城乡建设委员会",
    DepartmentKind.PROPERTY_MANAGEMENT: "朝阳物业服务有限公司",
    DepartmentKind.RESIDENTS_COMMITTEE: "光华社区居委会",
    DepartmentKind.OWNERS_COMMITTEE: "金台业主委员会",
    DepartmentKind.SOCIAL_ORGANISATION: "阳光社工服务中心",
    DepartmentKind.CIVIL_AFFAIRS: "朝阳区民政局",
    DepartmentKind.HEALTH: "朝阳区卫生健康委员会",
}


def _lon(col: float) -> float:
    return round(ORIGIN_LON + col * CELL_DLON, 7)


def _lat(row: float) -> float:
    return round(ORIGIN_LAT + row * CELL_DLAT, 7)


def _ring(points: list[tuple[float, float]]) -> dict:
    return {"type": "Polygon", "coordinates": [[*map(list, points), list(points[0])]]}


def _rect(col0: int, row0: int, cols: int, rows: int) -> dict:
    """A lattice-aligned rectangle whose edges pass through every lattice node on them."""
    bottom = [(_lon(c), _lat(row0)) for c in range(col0, col0 + cols)]
    right = [(_lon(col0 + cols), _lat(r)) for r in range(row0, row0 + rows)]
    top = [(_lon(c), _lat(row0 + rows)) for c in range(col0 + cols, col0, -1)]
    left = [(_lon(col0), _lat(r)) for r in range(row0 + rows, row0, -1)]
    return _ring(bottom + right + top + left)


def _territory_fields(geometry: dict) -> dict:
    return {"geometry": geometry, **footprint(parse_polygon(geometry)).as_fields()}


def _community_nodes(rng: random.Random, col0: int, row0: int, cols: int, rows: int):
    """Lattice nodes of one community, jittered inside; edge nodes only slide along the edge,
    which keeps the community's outline straight (and shared exactly with its neighbours)."""
    nodes: dict[tuple[int, int], tuple[float, float]] = {}
    for c in range(cols + 1):
        for r in range(rows + 1):
            on_vertical_edge, on_horizontal_edge = c in (0, cols), r in (0, rows)
            jx = 0.0 if on_vertical_edge else rng.uniform(-0.25, 0.25)
            jy = 0.0 if on_horizontal_edge else rng.uniform(-0.25, 0.25)
            nodes[c, r] = (_lon(col0 + c + jx), _lat(row0 + r + jy))
    return nodes


def _community_shapes(rng: random.Random, col0: int, row0: int, cols: int, rows: int):
    """(outline, [cell polygons]) for one community; the cells tile the outline exactly."""
    nodes = _community_nodes(rng, col0, row0, cols, rows)
    outline = [nodes[c, 0] for c in range(cols)] + [nodes[cols, r] for r in range(rows)]
    outline += [nodes[c, rows] for c in range(cols, 0, -1)]
    outline += [nodes[0, r] for r in range(rows, 0, -1)]
    cells = [
        _ring([nodes[c, r], nodes[c + 1, r], nodes[c + 1, r + 1], nodes[c, r + 1]])
        for r in range(rows)
        for c in range(cols)
    ]
    return _ring(outline), cells


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉鹏飞宇浩然子涵欣怡"
    "梓轩雨桐思远佳琪晨曦俊杰淑珍凤英秀珍德明春梅海燕立新永刚振华丽娟嘉怡"
)


def chinese_name(rng: random.Random) -> str:
    """A plausible Chinese personal name (surname + one or two given-name characters)."""
    surname = SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2))
    return surname + given


@dataclass
class DemoTerritory:
    district: District
    streets: list[Street]
    communities: list[Community]
    cells: list[GridCell]


def plan_territory(scale: Scale, rng: random.Random) -> DemoTerritory:
    """The district, its streets, communities and cells as unsaved rows (codes, geometry and
    footprints filled in). Deterministic for a given ``rng`` seed."""
    (sc, sr), (cc, cr), (gc, gr) = scale.streets, scale.communities, scale.cells
    district = District(
        code=DISTRICT_CODE,
        full_code=DISTRICT_CODE,
        name=DISTRICT_NAME,
        **_territory_fields(_rect(0, 0, sc * cc * gc, sr * cr * gr)),
    )
    streets, communities, cells = [], [], []
    type_choices, type_weights = zip(*COMMUNITY_TYPES, strict=True)
    for s_index in range(sc * sr):
        scol, srow = s_index % sc, s_index // sc
        s_col0, s_row0 = scol * cc * gc, srow * cr * gr
        code = f"{s_index + 1:03d}"
        street = Street(
            district=district,
            code=code,
            full_code=DISTRICT_CODE + code,
            name=STREET_NAMES[s_index % len(STREET_NAMES)] + "街道",
            **_territory_fields(_rect(s_col0, s_row0, cc * gc, cr * gr)),
        )
        streets.append(street)
        for c_index in range(cc * cr):
            c_col0 = s_col0 + (c_index % cc) * gc
            c_row0 = s_row0 + (c_index // cc) * gr
            ctype = rng.choices(type_choices, type_weights)[0]
            word = COMMUNITY_WORDS[(s_index * cc * cr + c_index) % len(COMMUNITY_WORDS)]
            outline, cell_shapes = _community_shapes(rng, c_col0, c_row0, gc, gr)
            ccode = f"{c_index + 1:03d}"
            community = Community(
                street=street,
                code=ccode,
                full_code=street.full_code + ccode,
                type=ctype,
                name=f"{word}村" if ctype == CommunityType.FRINGE else f"{word}社区",
                **_territory_fields(outline),
            )
            communities.append(community)
            for g_index, shape in enumerate(cell_shapes):
                gcode = f"{g_index + 1:03d}"
                cells.append(
                    GridCell(
                        community=community,
                        code=gcode,
                        full_code=community.full_code + gcode,
                        name=f"{community.name}第{g_index + 1}网格",
                        **_territory_fields(shape),
                    )
                )
    return DemoTerritory(district, streets, communities, cells)


def create_territory(scale: Scale, rng: random.Random) -> DemoTerritory:
    """Plan the territory and write it with bulk inserts."""
    territory = plan_territory(scale, rng)
    # Parents are saved first; Django fills each child's foreign key from its saved parent.
    territory.district.save()
    Street.objects.bulk_create(territory.streets, batch_size=1000)
    Community.objects.bulk_create(territory.communities, batch_size=1000)
    GridCell.objects.bulk_create(territory.cells, batch_size=1000)
    invalidate_cell_index()  # bulk_create sends no signals
    return territory


def create_departments(district: District) -> dict[str, Department]:
    """One department of each kind, serving the whole district."""
    return {
        kind: Department.objects.create(name=name, kind=kind, district=district)
        for kind, name in DEPARTMENT_NAMES.items()
    }


def create_people(
    territory: DemoTerritory, departments: dict[str, Department], rng: random.Random
) -> None:
    """Demo logins with fixed usernames (docs and checks rely on them), plus a grid worker for
    every other cell, street staff for every street and a handler for every department."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)
    street1 = territory.streets[0]
    community1 = territory.communities[0]
    cell1, cell2 = territory.cells[0], territory.cells[1]
    district = territory.district
    urban = departments[DepartmentKind.URBAN_MANAGEMENT]
    # Serving since before the demo's history (a year back), so they acted in its past.
    serving_since = timezone.localdate() - timedelta(days=365)

    plan: list[tuple[str, str, str, object, Department | None]] = [
        ("demo_admin", Role.DISTRICT_ADMIN, ScopeLevel.DISTRICT, district, None),
        ("demo_staff", Role.STREET_STAFF, ScopeLevel.STREET, street1, None),
        ("demo_handler", Role.HANDLER, ScopeLevel.DISTRICT, district, urban),
        ("demo_worker", Role.GRID_WORKER, ScopeLevel.CELL, cell1, None),
        ("demo_worker2", Role.GRID_WORKER, ScopeLevel.CELL, cell2, None),
        ("demo_volunteer", Role.VOLUNTEER, ScopeLevel.COMMUNITY, community1, None),
    ]
    plan += [
        (f"staff_{s.full_code}", Role.STREET_STAFF, ScopeLevel.STREET, s, None)
        for s in territory.streets[1:]
    ]
    plan += [
        (f"handler_{d.kind}", Role.HANDLER, ScopeLevel.DISTRICT, district, d)
        for d in departments.values()
        if d != urban
    ]
    plan += [
        (f"worker_{c.full_code}", Role.GRID_WORKER, ScopeLevel.CELL, c, None)
        for c in territory.cells[2:]
    ]

    users = User.objects.bulk_create(
        [
            User(
                username=username,
                password=password,
                display_name=chinese_name(rng),
                is_staff=username == "demo_admin",
                is_superuser=username == "demo_admin",
            )
            for username, *_ in plan
        ],
        batch_size=1000,
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                user=user,
                role=role,
                scope=scope,
                department=department,
                valid_from=serving_since,
                **{scope: target},
            )
            for user, (_, role, scope, target, department) in zip(users, plan, strict=True)
        ],
        batch_size=1000,
    )


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, where) of the fixed demo logins present in the database."""
    rows = (
        Assignment.objects.filter(user__username__startswith="demo_")
        .select_related("user", "district", "street", "community", "cell", "department")
        .order_by("user_id")
    )
    return [
        (a.user.username, str(a.get_role_display()), str(a.department or a.target)) for a in rows
    ]
