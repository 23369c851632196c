"""Adversarial fakes for ``bench/integrity.py``: what a worker who knows the integrity rules
files, and the honest look-alikes a district really has (issue 19).

Written from how the cheating is done, not from the rules' thresholds, and importing nothing
from ``integrity``. Every item is a ``Plant`` (see ``bench/integrity.py``) and a key in the
``truths`` (fakes) or ``controls`` (honest) sets of its rule.

Fakes
- Refiled reports (near_duplicate): a case of the history filed again, in the worker's own
  words — synonyms for the spot and the object, the number written in Chinese or as "栋",
  sentence parts reordered, filler added or dropped — by the same worker 2–120 h later, or
  by the worker of another cell of the street 8–150 h later, half of them under a sibling
  sub-category. 0–25 m from the original (one spot, GPS scatter).
- Desk verifications (verification_no_evidence): the case is verified 20–90 min after the
  handler's report with a fluent, paraphrased note and a photo — taken at the office
  (0.4–5 km away, minutes before verifying), or an old photo of the spot from 1–30 days
  before the result. Fast desk verifications (2–9 min, verification_too_fast) likewise.
- Spread bursts (report_burst): a worker adds 1–3 reports a day for 10–14 days, mid-month,
  each a plausible report of their own cell.

Controls (honest)
- A problem that comes back at one spot 10–40 days later (recurring, 反复出现).
- Two workers reporting one event within 0.2–4 h of each other, each in their own words.
  Decision: this is a merge candidate for street staff (intake's duplicate check), not a
  fake, and must not be flagged.
- The quick-fill phrase of the same category 1–72 h later within 30 m, naming another spot.
- Honest verifications: a photo taken 0–60 m from the case after the result (fix accuracy
  5–30 m), or 150–300 m off with a poor fix (accuracy 100–200 m); verified 20 min–48 h
  after the result. A verifier who stood by while the handler finished: 2–9 min, on site.
- A storm: for 1–3 days every worker of one street files 2–5 more reports a day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

SPOT_WORDS = {
    "东门": ["东大门", "东门口", "小区东门"],
    "北侧": ["北边", "北面", "靠北那边"],
    "3号楼旁": ["三号楼旁边", "3栋边上", "三号楼附近"],
    "路口": ["十字路口", "路口处", "交叉口"],
    "小广场": ["小区广场", "广场上", "小广场边"],
    "地下车库入口": ["地库入口", "地下停车库门口", "车库入口"],
    "垃圾站旁": ["垃圾收集点旁边", "垃圾房边上", "垃圾站附近"],
    "公交站": ["公交车站", "公交站台", "车站旁"],
    "南门": ["南大门", "南门口", "小区南门"],
}
OPENERS = ["", "今天巡查时", "巡查中发现", "路过时看到", "经现场巡查，", "上午巡逻发现"]
STATES = {
    "C": ["坏了", "破损严重", "出现损坏", "已经损坏，没人管", "损毁"],
    "E": ["又出现了", "情况比较突出", "问题严重", "没有清理"],
    "S": ["有居民需要帮助", "需要协助", "居民求助"],
}
CLOSERS = [
    "",
    "请尽快处理",
    "麻烦相关部门处理一下",
    "影响居民出行，请安排人员处理",
    "存在隐患，建议尽快解决",
    "居民反映较多",
]
DESK_NOTES = [
    "已到现场查看，整改到位，居民满意。",
    "经复核问题已处理完毕，现场恢复正常。",
    "核实已整改，设施运行正常，周边无隐患。",
    "复查确认已解决，已与居民沟通。",
    "现场核查完成，处置效果良好。",
]


def spot_of(title: str, spots, name: str) -> str:
    """The spot a history title names: it is written community + spot + ``name``, so the
    spot is what the title ends with once the category's name is taken off ("公交站亭"
    holds "公交站" but is not the spot of "…南门公交站亭")."""
    head = title.removesuffix(name)
    return next((s for s in spots if head.endswith(s)), "")


def object_words(name: str, rng) -> str:
    """How a worker names the object in their own words: the name, or its last two
    characters ("上水井盖" → "井盖"), sometimes with a measure word."""
    short = name[-2:] if len(name) > 2 and rng.random() < 0.5 else name
    return rng.choice(["", "一处", "有个"]) + short


def reworded(rng, *, spot: str, name: str, family: str) -> tuple[str, str]:
    """A report of ``name`` at ``spot`` as a worker rewrites it: synonyms, number written
    differently, order of the parts and filler changed."""
    where = rng.choice(SPOT_WORDS.get(spot, [spot]))
    what = object_words(name, rng)
    state = rng.choice(STATES.get(family, STATES["E"]))
    parts = [f"{where}{what}{state}", rng.choice(CLOSERS)]
    if rng.random() < 0.4:
        parts = [f"{what}{state}，位置在{where}", rng.choice(CLOSERS)]
    description = rng.choice(OPENERS) + "，".join(p for p in parts if p) + "。"
    title = rng.choice([f"{where}{what}{state}", f"{what}{state}", f"{where}{name}"])
    return title, description


def offset(rng, lon: float, lat: float, metres: float) -> tuple[float, float]:
    """``metres`` from the point in a random direction."""
    from grids.geometry import moved

    return moved(lon, lat, metres, rng.uniform(0, 2 * math.pi))


def plant_refiled_reports(p, plant_cls, n: int, truth: set, controls: set) -> None:
    """Refiled fakes and their honest look-alikes (see the module's docstring)."""
    from cases.models import Case

    categories = {c.pk: c for c in p.categories}
    siblings = defaultdict(list)
    for c in p.categories:
        siblings[c.parent_id].append(c)

    def add(kind: str, h: dict, *, at, reporter, category, title, description, metres, target):
        lon, lat = offset(p.rng, h["lon"], h["lat"], metres)
        cell_id = p.cell_of.get(reporter, h["cell_id"])
        case = Case(
            number=p.number(kind),
            title=title,
            description=description,
            category_id=category.pk,
            priority=h["priority"],
            source="patrol",
            lon=lon,
            lat=lat,
            cell_id=cell_id,
            street_id=p.cells[cell_id].community.street_id,
            reporter_id=reporter,
            step_started_at=at,
            created_at=at,
            status="collected",
        )
        p.plants.append(
            plant_cls(case=case, events=[("create", "", "collected", reporter, at, "")])
        )
        target.add(case.number)

    for i in range(4 * n):
        h = p.take()
        category = categories.get(h["category_id"])
        if category is None:
            continue
        spot = spot_of(h["title"], p.spots, category.name)
        kind = i % 4
        if kind == 0:  # the same worker, reworded
            at = h["created_at"] + timedelta(hours=p.rng.uniform(2, 120))
            title, description = reworded(
                p.rng, spot=spot, name=category.name, family=category.family
            )
            add(
                "adv-dup",
                h,
                at=at,
                reporter=h["reporter_id"],
                category=category,
                title=title,
                description=description,
                metres=p.rng.uniform(0, 25),
                target=truth,
            )
        elif kind == 1:  # a neighbour refiles it, maybe under a sibling category
            at = h["created_at"] + timedelta(hours=p.rng.uniform(8, 150))
            other = category
            if p.rng.random() < 0.5 and len(siblings[category.parent_id]) > 1:
                other = p.rng.choice([c for c in siblings[category.parent_id] if c != category])
            title, description = reworded(
                p.rng, spot=spot, name=category.name, family=category.family
            )
            add(
                "adv-dup",
                h,
                at=at,
                reporter=p.other_worker(h["cell_id"]),
                category=other,
                title=title,
                description=description,
                metres=p.rng.uniform(0, 25),
                target=truth,
            )
        elif kind == 2:  # honest: recurring weeks later, or two workers at one event
            if p.rng.random() < 0.5:
                at = h["created_at"] + timedelta(days=p.rng.uniform(10, 40))
                reporter = h["reporter_id"]
            else:
                at = h["created_at"] + timedelta(hours=p.rng.uniform(0.2, 4))
                reporter = p.other_worker(h["cell_id"])
            title, description = reworded(
                p.rng, spot=spot, name=category.name, family=category.family
            )
            add(
                "adv-ctl-dup",
                h,
                at=at,
                reporter=reporter,
                category=category,
                title=title,
                description=description,
                metres=p.rng.uniform(0, 25),
                target=controls,
            )
        else:  # honest: the quick-fill phrase, another spot nearby
            other_spot = p.rng.choice([s for s in p.spots if s != spot])
            at = h["created_at"] + timedelta(hours=p.rng.uniform(1, 72))
            # The first occurrence is the spot: the category's name may hold it too.
            title = (
                h["title"].replace(spot, other_spot, 1) if spot else f"{other_spot}{category.name}"
            )
            description = (
                h["description"].replace(spot, other_spot, 1)
                if spot
                else f"{other_spot}{h['description']}"
            )
            add(
                "adv-ctl-dup",
                h,
                at=at,
                reporter=h["reporter_id"],
                category=category,
                title=title,
                description=description,
                metres=p.rng.uniform(3, 30),
                target=controls,
            )


def plant_desk_verifications(p, n: int, truths: dict, controls: dict, photo) -> None:
    """Desk verifications and honest ones, each with one verification photo and its capture
    facts. ``photo()`` returns JPEG bytes of a new picture."""

    def capture(plant, *, metres: float, minutes_after_result: float, accuracy: float) -> dict:
        reported = plant.events[4][4]
        lon, lat = offset(p.rng, plant.case.lon, plant.case.lat, metres)
        return {
            "capture_at": reported + timedelta(minutes=minutes_after_result),
            "capture_lon": lon,
            "capture_lat": lat,
            "capture_accuracy_m": accuracy,
            "capture_distance_m": round(metres),
        }

    for rule, kind, delay in (
        ("verification_no_evidence", "adv-desk", (20, 90)),
        ("verification_too_fast", "adv-fast", (2, 9)),
    ):
        for i in range(n):
            minutes = p.rng.uniform(*delay)
            plant = p.closed(
                kind, verify_after=timedelta(minutes=minutes), verify_note=p.rng.choice(DESK_NOTES)
            )
            if i % 2:  # at the office, minutes before verifying
                facts = capture(
                    plant,
                    metres=p.rng.uniform(400, 5000),
                    minutes_after_result=minutes - p.rng.uniform(0.5, 2),
                    accuracy=p.rng.uniform(5, 30),
                )
            else:  # an old photo of the spot
                facts = capture(
                    plant,
                    metres=p.rng.uniform(0, 40),
                    minutes_after_result=-p.rng.uniform(1, 30) * 24 * 60,
                    accuracy=p.rng.uniform(5, 30),
                )
            plant.photos.append(("verification", 5, photo(), plant.events[5][4], facts))
            p.plants.append(plant)
            truths[rule].add(plant.case.number)
        for i in range(n):
            ctl = kind.replace("adv-", "adv-ctl-")
            minutes = (
                p.rng.uniform(20, 48 * 60)
                if rule == "verification_no_evidence"
                else (p.rng.uniform(2, 9))
            )
            plant = p.closed(
                ctl, verify_after=timedelta(minutes=minutes), verify_note=p.real_note()
            )
            taken = p.rng.uniform(0, minutes)
            if i % 3 == 0 and rule == "verification_no_evidence":  # a poor fix, still near
                facts = capture(
                    plant,
                    metres=p.rng.uniform(150, 300),
                    minutes_after_result=taken,
                    accuracy=p.rng.uniform(100, 200),
                )
            else:
                facts = capture(
                    plant,
                    metres=p.rng.uniform(0, 60),
                    minutes_after_result=taken,
                    accuracy=p.rng.uniform(5, 30),
                )
            plant.photos.append(("verification", 5, photo(), plant.events[5][4], facts))
            p.plants.append(plant)
            controls[rule].add(plant.case.number)


def plant_spread_bursts(p, plant_cls, n: int, truth: list, controls: list, taken: set) -> None:
    """Spread bursts (one per worker) and storms; each appended as (worker, start, end)."""
    workers = [w for w in sorted(p.cell_of) if w not in taken]
    p.rng.shuffle(workers)
    span = (p.now - p.since).days
    for _ in range(n):
        worker = workers.pop()
        taken.add(worker)
        days = p.rng.randint(10, 14)
        start = p.since + timedelta(days=p.rng.uniform(20, span - days - 3))
        for d in range(days):
            for _k in range(p.rng.randint(1, 3)):
                at = start + timedelta(days=d, hours=p.rng.uniform(8, 18))
                case = p.new_case("adv-burst", cell_id=p.cell_of[worker], at=at, reporter_id=worker)
                p.plants.append(
                    plant_cls(case=case, events=[("create", "", "collected", worker, at, "")])
                )
        truth.append((worker, start, start + timedelta(days=days)))
    streets = sorted(p.street_cells)
    p.rng.shuffle(streets)
    for street in streets[: max(1, n // 20)]:
        days = p.rng.randint(1, 3)
        start = p.since + timedelta(days=p.rng.uniform(20, span - days - 3))
        for cell_id in p.street_cells[street]:
            worker = p.reporter.get(cell_id)
            if worker is None or worker in taken:
                continue
            taken.add(worker)
            for d in range(days):
                for _k in range(p.rng.randint(2, 5)):
                    at = start + timedelta(days=d, hours=p.rng.uniform(6, 20))
                    case = p.new_case("adv-storm", cell_id=cell_id, at=at, reporter_id=worker)
                    p.plants.append(
                        plant_cls(case=case, events=[("create", "", "collected", worker, at, "")])
                    )
            controls.append((worker, start, start + timedelta(days=days)))
