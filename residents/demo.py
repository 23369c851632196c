"""Demo households and residents for ``seed_demo``: Chinese names and addresses, ID numbers
that pass GB 11643, CN mobile numbers, and service tags in realistic shares.

Written in bulk, a batch of cells at a time, so a million residents fit in a few hundred MB.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

import shapely
from django.db import connection, reset_queries, transaction
from django.utils import timezone
from stdnum.cn import ric
from tqdm import tqdm

from grids.demo import chinese_name
from grids.models import CommunityType, GridCell

from .crypto import pii_hash
from .models import Household, PIIAccessLog, PIIListLog, Resident, Tag, Visit

# Where demo residents were born: mostly the district itself, some from elsewhere (codes that
# were valid for every birth year, so the GB 11643 region check passes).
HOME_REGION = "110105"
OTHER_REGIONS = [
    "110101",
    "110102",
    "110106",
    "110107",
    "110108",
    "120105",
    "140121",
    "330122",
    "422823",
    "513332",
    "520203",
    "610331",
    "622924",
    "652822",
]
ROADS = [
    "光华路",
    "东三环中路",
    "建国路",
    "朝阳路",
    "金台路",
    "团结湖路",
    "农展馆南路",
    "工体北路",
    "呼家楼北街",
    "关东店北街",
    "延静里中街",
    "白家庄东里",
    "望京西路",
    "安立路",
    "北苑路",
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
]
HOUSEHOLD_SIZES = ([1, 2, 3, 4, 5], [25, 30, 25, 12, 8])
CELLS_PER_BATCH = 50
TODAY = date(2026, 11, 1)  # fixed, so the same seed gives the same people every day


class _People:
    """Generates residents; keeps the per-(region, birth date) sequence so ID numbers are unique."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sequence: Counter[tuple[str, date]] = Counter()

    def birth_date(self, age: int) -> date:
        return TODAY - timedelta(days=age * 365 + self.rng.randrange(365))

    def id_number(self, born: date, gender: str) -> str:
        region = HOME_REGION if self.rng.random() < 0.75 else self.rng.choice(OTHER_REGIONS)
        key = (region, born)
        self.sequence[key] += 1
        # The 17th digit is odd for men, even for women (GB 11643).
        order = 2 * self.sequence[key] - (1 if gender == "M" else 2)
        body = f"{region}{born:%Y%m%d}{order:03d}"
        return body + ric.calc_check_digit(body + "0")

    def phone(self, age: int) -> str:
        if age < 16:
            return ""
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def household_ages(self, size: int) -> list[int]:
        rng = self.rng
        head = min(95, max(22, int(rng.gauss(52, 17))))
        if size == 1 and rng.random() < 0.35:
            head = rng.randint(60, 92)  # many one-person households are elderly people alone
        ages = [head]
        if size >= 2:
            ages.append(min(95, max(20, head + rng.randint(-6, 6))))
        for _ in range(size - 2):
            ages.append(
                rng.randint(0, max(0, min(head - 20, 35))) if head < 70 else rng.randint(20, 45)
            )
        return ages


def _address(rng: random.Random, cell: GridCell) -> str:
    if cell.community.type == CommunityType.FRINGE:
        return f"{cell.community.name}{rng.randint(1, 400)}号"
    return (
        f"{rng.choice(ROADS)}{rng.randint(1, 120)}号院{rng.randint(1, 30)}号楼"
        f"{rng.randint(1, 6)}单元{rng.randint(1, 28)}{rng.randint(1, 8):02d}"
    )


def _share(total: int, n: int, rng: random.Random) -> list[int]:
    """Split ``total`` into ``n`` uneven parts that add up exactly."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(n)]
    scale = total / sum(weights)
    parts = [int(w * scale) for w in weights]
    for i in range(total - sum(parts)):
        parts[i % n] += 1
    return parts


def create_residents(
    cells: Sequence[GridCell], *, total: int, rng: random.Random, progress: bool = True
) -> tuple[int, int]:
    """Create ``total`` residents in households spread over ``cells``.

    Returns (households, residents) created.
    """
    people = _People(rng)
    tags = {tag.code: tag.pk for tag in Tag.objects.filter(builtin=True)}
    through = Resident.tags.through
    per_cell = _share(total, len(cells), rng)
    households_made = residents_made = 0
    bar = tqdm(total=total, unit="resident", disable=not progress, desc="residents")
    for start in range(0, len(cells), CELLS_PER_BATCH):
        batch = list(
            zip(
                cells[start : start + CELLS_PER_BATCH],
                per_cell[start : start + CELLS_PER_BATCH],
                strict=True,
            )
        )
        households: list[Household] = []
        members: list[list[tuple[int, str]]] = []  # (age, gender) per household
        for cell, count in batch:
            while count > 0:
                size = min(count, rng.choices(*HOUSEHOLD_SIZES)[0])
                households.append(Household(cell=cell, address=_address(rng, cell)))
                members.append([(age, rng.choice("MF")) for age in people.household_ages(size)])
                count -= size
        with transaction.atomic():
            Household.objects.bulk_create(households, batch_size=2000)
            residents: list[Resident] = []
            resident_tags: list[list[str]] = []
            for household, group in zip(households, members, strict=True):
                poor = rng.random() < 0.025
                for age, gender in group:
                    born = people.birth_date(age)
                    id_number = people.id_number(born, gender)
                    phone = people.phone(age)
                    residents.append(
                        Resident(
                            household=household,
                            cell_id=household.cell_id,
                            name=chinese_name(rng),
                            gender=gender,
                            birth_date=born,
                            id_number=id_number,
                            id_number_hash=pii_hash(id_number),
                            phone=phone,
                            phone_hash=pii_hash(phone) if phone else "",
                        )
                    )
                    resident_tags.append(_tags_for(rng, age, len(group), poor))
            Resident.objects.bulk_create(residents, batch_size=2000)
            through.objects.bulk_create(
                [
                    through(resident_id=r.pk, tag_id=tags[code])
                    for r, codes in zip(residents, resident_tags, strict=True)
                    for code in codes
                ],
                batch_size=5000,
            )
        reset_queries()  # with DEBUG on, Django keeps every SQL text: megabytes per batch
        households_made += len(households)
        residents_made += len(residents)
        bar.update(len(residents))
    bar.close()
    if connection.vendor == "postgresql":
        # Statistics taken before the bulk load (or none) make the planner hash-join all
        # resident tags for one cell's visit list (36 ms instead of 0.5 ms): refresh them.
        with connection.cursor() as cursor:
            for table in ("residents_household", "residents_resident", "residents_resident_tags"):
                cursor.execute(f"ANALYZE {table}")
    return households_made, residents_made


def _tags_for(rng: random.Random, age: int, household_size: int, poor: bool) -> list[str]:
    codes = []
    if age < 14:
        codes.append("child")
    if age >= 60 and household_size == 1:
        codes.append("elderly_alone")
    if rng.random() < 0.02:
        codes.append("disabled")
    if poor:
        codes.append("low_income")
    if age >= 18 and rng.random() < 0.01:
        codes.append("special_care")
    if 18 <= age < 60 and rng.random() < 0.04:
        codes.append("unemployed")
    return codes


def delete_residents(cells) -> None:
    """Delete the households and residents of ``cells`` in bulk, with their visits, tags and
    logs (integrity flags about the visits must go first: ``seed_demo.delete_district``).

    ``_raw_delete`` skips Django's per-row collector: at a million residents the collector
    would take longer than creating them.
    """
    residents = Resident.objects.filter(cell__in=cells)
    with transaction.atomic():
        for queryset in (
            Visit.objects.filter(household__cell__in=cells),
            PIIAccessLog.objects.filter(resident__in=residents),
            Resident.tags.through.objects.filter(resident__in=residents),
            residents,
            Household.objects.filter(cell__in=cells),
        ):
            queryset._raw_delete(queryset.db)


def delete_access_logs_by(users) -> None:
    """Delete the access-log rows made by ``users`` (a queryset), so demo users can go:
    the logs protect the users they name. For demo data only; real accounts are
    deactivated, never deleted."""
    for model in (PIIAccessLog, PIIListLog):
        model.objects.filter(user__in=users).delete()


# A demo visit's note: a quick phrase, sometimes with a word of the worker's own.
VISIT_NOTES = [
    "一切正常",
    "身体状况良好",
    "需要帮助：想申请助餐服务",
    "家中无人，改日再访",
    "已送达政策资料",
    "老人腿脚不便，建议志愿者每周上门",
]


def _point(polygon, rng: random.Random) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    while True:
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        if polygon.contains(shapely.Point(lon, lat)):
            return round(lon, 6), round(lat, 6)


def create_visits(*, worker, cell: GridCell, away: GridCell, rng: random.Random) -> int:
    """The worker's visits of the last weeks in ``cell``: notes and GPS fixes inside the cell,
    households left due a visit (never visited), one visit whose fix is in ``away`` (another
    cell) and one run of four visits two minutes apart — the two the integrity rules flag."""
    now = timezone.now()
    polygon = shapely.geometry.shape(cell.geometry)
    households = list(
        Household.objects.filter(cell=cell, residents__tags__visit_every_days__isnull=False)
        .distinct()
        .order_by("pk")
    )
    visited = households[: max(1, len(households) * 2 // 3)]  # the rest stay due
    visits = []
    for household in visited:
        for _ in range(rng.randint(1, 3)):
            at = now - timedelta(days=rng.uniform(1, 40))
            lon, lat = _point(polygon, rng)
            visits.append(
                Visit(
                    household=household,
                    worker=worker,
                    visited_at=at,
                    note=rng.choice(VISIT_NOTES),
                    lon=lon,
                    lat=lat,
                    accuracy_m=rng.randint(5, 35),
                    fixed_at=at - timedelta(seconds=rng.randint(5, 90)),
                    fix_cell=cell,
                )
            )
    if visited:
        at = now - timedelta(days=3, hours=2)
        lon, lat = _point(shapely.geometry.shape(away.geometry), rng)
        visits.append(
            Visit(
                household=visited[0],
                worker=worker,
                visited_at=at,
                note="一切正常",
                lon=lon,
                lat=lat,
                accuracy_m=12,
                fixed_at=at,
                fix_cell=away,
            )
        )
        start = now - timedelta(days=5, hours=4)
        visits += [
            Visit(
                household=h,
                worker=worker,
                visited_at=start + timedelta(minutes=2 * i),
                note="一切正常",
            )
            for i, h in enumerate(visited[:4])
        ]
    Visit.objects.bulk_create(visits)
    return len(visits)
