"""Three years of case history for ``seed_demo --scale district`` (2,000,000 cases).

Walking two million cases through the transition services would take hours, so this writes
finished histories directly: each case gets the events the services would have written
(create → accept → dispatch → start → report → [verify_fail → start → report] → verify_pass,
or a reject/merge, or a stop part-way for open cases), with times drawn around each
category's limits so most steps finish on time and about one in thirty does not; a step that
ran past its deadline has the overdue notice the SLA scanner would have recorded (and the
escalation, for an open case past twice its span), which is what 按期结案率 reads. Rows go in
with PostgreSQL's COPY (executemany elsewhere). Bulk events carry no ``payload`` changes; the
small demo's cases, made through the services, are the ones whose timelines replay field by
field. A report names one of the quick-fill spots (东门, 路口 …) and lies about it: each spot
of a cell is one place, so reports naming it gather there, as a real district's do.
"""

from __future__ import annotations

import io
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image
from tqdm import tqdm

from grids.geometry import moved
from grids.models import Assignment, Department, GridCell, Role
from grids.spatial import get_cell_index
from integrity.models import PhotoHash
from integrity.photos import fingerprint
from workflows.models import NotificationKind, SlaNotice

from .demo import DESCRIPTIONS, SPOTS
from .models import Attachment, Case, CaseEvent, CaseNumberCounter, Category, LimitUnit

YEARS = 3
BATCH = 20_000
RECENT_DAYS = 14
# How far from the spot a report names it lies: a report of "东门" is about the east gate.
SPOT_SPREAD_M = 40.0
# Calendar hours one unit of a limit takes on average (nights, weekends and holidays included).
CALENDAR_HOURS_PER = {
    LimitUnit.WORKING_HOURS: 3.4,  # 7 working hours fill a 24 h day, 5 days fill a week
    LimitUnit.WORKING_DAYS: 33.6,
    LimitUnit.CALENDAR_HOURS: 1.0,
}
OPEN_STOPS = ["collected", "accepted", "dispatched", "handling", "suspended", "feedback"]
# Starting the work takes a tenth of what a step takes: handling runs from dispatch to the
# report, one step with one limit.
START_SHARE = 10
# The events that end a timed step (starting the work does not: handling runs from dispatch
# to the report).
_ENDS_A_STEP = {"accept", "reject", "merge", "dispatch", "report", "verify_fail", "verify_pass"}
NOTICE_FIELDS = ["case_id", "kind", "version", "due_at", "at", "told"]
# A verification in a category that requires a photo carries one (the services refuse it
# without), with what the verifier's phone sent at capture (``cases.photos.capture``): an
# honest verifier photographs the finished work on site, after it was reported and minutes
# before saving the verification, with a street fix's accuracy. Not every photo proves
# where it was taken: some phones send no fix (location off, indoors), and some photos are
# picked from a computer's folder with no capture facts at all. (Assumed shares: the
# quick-verification rule's false positives on the history scale with them.)
NO_FIX_SHARE = 0.05
NO_FACTS_SHARE = 0.03
# The picture itself is one stand-in, a flat image the reused-photo rule never compares:
# the demo does not ship a million photos.
STAND_IN_PHOTO = "cases/history/verification.jpg"


@dataclass
class _Cat:
    id: int
    code: str
    name: str
    family: str
    priority: str
    kind: str
    limits: dict[str, float]  # step → calendar hours
    verification_photo: bool


def _categories() -> list[_Cat]:
    out = []
    for c in Category.objects.subcategories().active():
        per = CALENDAR_HOURS_PER[c.limit_unit]
        limits = {
            step: float(getattr(c, f"{step}_limit") or Decimal(1)) * per
            for step in ("accept", "dispatch", "handle", "verify")
        }
        out.append(
            _Cat(
                c.pk,
                c.code,
                c.name,
                c.family,
                c.default_priority,
                c.default_department_kind,
                limits,
                c.requires_verification_photo,
            )
        )
    return out


def _pg_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def insert_rows(model, attnames: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert plain rows into ``model``'s table: COPY on PostgreSQL, executemany elsewhere."""
    fields = [model._meta.get_field(name) for name in attnames]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_pg_text(v) for v in row) + "\n")
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                [[json.dumps(v) if isinstance(v, dict | list) else v for v in row] for row in rows],
            )


class _History:
    def __init__(self, cells: Sequence[GridCell], rng: random.Random, now: datetime) -> None:
        self.rng, self.now = rng, now
        self.start = now - timedelta(days=365 * YEARS)
        self.cells = list(cells)
        self.categories = _categories()
        self.reporter: dict[int, int] = {}
        self.staff: dict[int, int] = {}
        handler_of: dict[int, int] = {}
        for a in Assignment.objects.active().order_by("user_id"):
            if a.role == Role.GRID_WORKER and a.cell_id:
                self.reporter.setdefault(a.cell_id, a.user_id)
            elif a.role == Role.STREET_STAFF:
                self.staff.setdefault(a.street_id, a.user_id)
            elif a.role == Role.HANDLER:
                handler_of.setdefault(a.department_id, a.user_id)
        self.department: dict[str, tuple[int, int]] = {
            d.kind: (d.pk, handler_of[d.pk]) for d in Department.objects.all() if d.pk in handler_of
        }
        self.fallback_department = next(iter(self.department.values()))
        self.street_cells: dict[int, list[GridCell]] = {}
        for cell in self.cells:
            self.street_cells.setdefault(cell.community.street_id, []).append(cell)
        # Continue each day's numbering after cases already filed (e.g. the walked ones).
        self.day_seq: dict[str, int] = {
            f"{day:%Y%m%d}": last
            for day, last in CaseNumberCounter.objects.filter(district_code="110105").values_list(
                "day", "last"
            )
        }
        self.last_in_cell: dict[int, int] = {}
        self.spots: dict[tuple[int, str], tuple[float, float]] = {}
        # (case, kind, version, due_at, at) of the SLA occasions the history went through
        self.notices: list[tuple] = []
        # (case, result's time, verification's time, lon, lat) of the verifications whose
        # category requires a photo (``_write_verification_photos``), and the photos' own
        # draws, apart from the cases' so the cases stay what the seed made them before
        self.verified: list[tuple] = []
        self.photo_rng = random.Random(repr(rng.getstate()[1][:8]))

    def spot_at(self, cell: GridCell, spot: str) -> tuple[float, float]:
        """Where ``spot`` of ``cell`` is: a fixed point of the cell's middle (its east gate is
        one place), drawn once per cell and spot from their own seed."""
        key = (cell.pk, spot)
        if key not in self.spots:
            rng = random.Random(f"{cell.pk}:{spot}")
            self.spots[key] = (
                rng.uniform(cell.min_lon, cell.max_lon) * 0.4 + (cell.min_lon + cell.max_lon) * 0.3,
                rng.uniform(cell.min_lat, cell.max_lat) * 0.4 + (cell.min_lat + cell.max_lat) * 0.3,
            )
        return self.spots[key]

    def near(self, cell: GridCell, spot: str) -> dict[str, float]:
        """A report's point: where the spot it names is, give or take ``SPOT_SPREAD_M`` (the
        problem is somewhere about the gate, and the phone's fix scatters)."""
        metres = SPOT_SPREAD_M * math.sqrt(self.rng.random())
        lon, lat = moved(*self.spot_at(cell, spot), metres, self.rng.uniform(0, 2 * math.pi))
        return {"lon": lon, "lat": lat}

    def capture(self, reported: datetime, verified: datetime, lon: float, lat: float) -> dict:
        """What the verifier's phone sent with the verification photo (see ``NO_FIX_SHARE``)."""
        rng = self.photo_rng
        draw = rng.random()
        if draw < NO_FACTS_SHARE:
            return {}
        before = min((verified - reported) * 0.8, timedelta(minutes=rng.uniform(1, 20)))
        facts = {"capture_at": verified - before, "clock_skew_s": rng.randint(-20, 20)}
        if draw < NO_FACTS_SHARE + NO_FIX_SHARE:
            return facts
        accuracy = min(150.0, rng.lognormvariate(math.log(10), 0.6))
        # a step back from the work, and the fix's own error
        metres = rng.uniform(0, 10) + abs(rng.gauss(0, accuracy))
        at_lon, at_lat = moved(lon, lat, metres, rng.uniform(0, 2 * math.pi))
        return facts | {
            "capture_lon": round(at_lon, 6),
            "capture_lat": round(at_lat, 6),
            "capture_accuracy_m": round(accuracy, 1),
            "capture_distance_m": round(metres),
        }

    def number(self, created: datetime) -> str:
        day = timezone.localtime(created).strftime("%Y%m%d")
        self.day_seq[day] = self.day_seq.get(day, 0) + 1
        return f"110105-{day}-{self.day_seq[day]:06d}"

    def took(self, limit_hours: float) -> timedelta:
        """How long a step took: usually well inside its limit, about one time in thirty
        beyond it (P(Beta(2, 5) > 1 / 1.6) = 0.031)."""
        return timedelta(hours=limit_hours * self.rng.betavariate(2, 5) * 1.6)

    def case(self, case_id: int, position: float) -> tuple[dict, list[tuple]]:
        """One case filed at ``position`` (0–1) through the three years: ids follow time, as
        they do when cases arrive one by one (and the table is laid out in time order)."""
        rng = self.rng
        cell = rng.choice(self.cells)
        street_id = cell.community.street_id
        cat = rng.choice(self.categories)
        created = self.start + (self.now - self.start) * position
        recent = created > self.now - timedelta(days=RECENT_DAYS)
        reporter = self.reporter.get(cell.pk)
        staff = self.staff[street_id]
        department_id, handler = self.department.get(cat.kind, self.fallback_department)
        spot = rng.choice(SPOTS)
        row = {
            "id": case_id,
            "number": self.number(created),
            "title": f"{cell.community.name}{spot}{cat.name}",
            "description": DESCRIPTIONS[cat.family].format(spot=spot, name=cat.name),
            "category_id": cat.id,
            "priority": cat.priority,
            "source": "patrol",
            **self.near(cell, spot),
            "address": "",
            "cell_id": cell.pk,
            "street_id": street_id,
            "reporter_id": reporter,
            "cross_check": False,
            "overdue": False,
            "escalation_level": 0,
            "rework_count": 0,
            "created_at": created,
        }
        events: list[tuple] = []
        t = created

        def step(
            action: str, frm: str, to: str, actor: int | None, at: datetime, note: str = ""
        ) -> None:
            # A step that ran past its deadline was marked overdue by the SLA scanner then.
            due = step_start + timedelta(hours=limit)
            if at > due and action in _ENDS_A_STEP:
                self.notices.append((case_id, NotificationKind.OVERDUE, len(events), due, due))
            events.append((case_id, len(events) + 1, action, frm, to, actor, at, note, {}))

        status, limit = "collected", cat.limits["accept"]
        step_start = t
        step("create", "", "collected", reporter, t)
        stop = (
            rng.choice(OPEN_STOPS)
            if recent and rng.random() < 0.6
            else (rng.choice(OPEN_STOPS[2:]) if rng.random() < 0.035 else "closed")
        )
        draw = rng.random()
        if stop != "collected" and draw < 0.05:
            t += self.took(limit)
            step("reject", "collected", "rejected", staff, t, "不属于网格事项。")
            return self._finish(row, events, "rejected", t, None), events
        if stop != "collected" and draw < 0.065 and cell.pk in self.last_in_cell:
            t += self.took(limit)
            row["duplicate_of_id"] = self.last_in_cell[cell.pk]
            step("merge", "collected", "rejected", staff, t, "与已上报案件重复。")
            return self._finish(row, events, "rejected", t, None), events
        self.last_in_cell[cell.pk] = case_id
        path = [
            ("accept", "accepted", staff, "dispatch"),
            ("dispatch", "dispatched", staff, "handle"),
            ("start", "handling", handler, "handle"),
            ("report", "feedback", handler, "verify"),
        ]
        rework = rng.random() < 0.07
        verifier, cross = self._verifier(cell, reporter)
        for action, to, actor, next_step in path:
            if status == stop:
                break
            t += self.took(limit) / (START_SHARE if action == "start" else 1)
            step(action, status, to, actor, t)
            status = to
            if action != "start":
                step_start, limit = t, cat.limits[next_step]
        for e in events:  # the step timestamps, from the events just written
            if e[2] == "accept":
                row["accepted_at"] = e[6]
            elif e[2] == "dispatch":
                row["dispatched_at"] = e[6]
            elif e[2] == "start":
                row["started_at"] = e[6]
            elif e[2] == "report":
                row["reported_at"] = e[6]
        if status in ("dispatched", "handling", "feedback", "suspended") or stop == "suspended":
            row["department_id"], row["handler_id"] = department_id, handler
        if status == "handling" and stop == "suspended":
            t += timedelta(hours=rng.uniform(1, 48))
            step("suspend", "handling", "suspended", staff, t, "需等待专项资金审批。")
            status = "suspended"
            # The handling clock stands still (workflows.clocks); the suspension runs to its
            # review date, some of which have passed.
            row["paused_clock"] = {
                "step_started_at": step_start.isoformat(),
                "due_at": (step_start + timedelta(hours=limit)).isoformat(),
                "remind_at": (step_start + timedelta(hours=limit * 0.8)).isoformat(),
                "reminded_for": None,
                "red_at": None,
                "overdue": False,
                "escalation_level": 0,
                "unit": "calendar_hours" if cat.priority == "urgent" else "working_hours",
            }
            row["review_at"] = t + timedelta(days=rng.uniform(7, 60))
            step_start, limit = t, (row["review_at"] - t) / timedelta(hours=1)
        if status == "feedback":
            row["verifier_id"], row["cross_check"] = verifier, cross
            if stop == "closed" and rework:
                t += self.took(limit)
                step("verify_fail", "feedback", "dispatched", verifier, t, "现场复核仍未修复。")
                row["rework_count"] = 1
                step_start, limit = t, cat.limits["handle"]
                t += self.took(cat.limits["handle"]) / START_SHARE
                step("start", "dispatched", "handling", handler, t)
                t += self.took(cat.limits["handle"])
                step("report", "handling", "feedback", handler, t, "已返工处理。")
                step_start, limit = t, cat.limits["verify"]
                row["reported_at"] = t
            if stop == "closed":
                reported = t
                t += self.took(limit)
                step("verify_pass", "feedback", "closed", verifier, t, "现场核查，已解决。")
                if cat.verification_photo:
                    self.verified.append((case_id, reported, t, row["lon"], row["lat"]))
                row["closed_at"] = t
                status = "closed"
        due = step_start + timedelta(hours=limit)
        return self._finish(row, events, status, step_start, due), events

    def _verifier(self, cell: GridCell, reporter: int | None) -> tuple[int | None, bool]:
        if self.rng.random() < 0.2:
            others = [c for c in self.street_cells[cell.community.street_id] if c.pk != cell.pk]
            if others:
                return self.reporter.get(self.rng.choice(others).pk), True
        return reporter, False

    def _finish(
        self, row: dict, events: list, status: str, step_start: datetime, due: datetime | None
    ) -> dict:
        """The case row in its last state; a step still running past its deadline is marked
        overdue (red past twice its span) and its notices recorded, as the scanner does."""
        row["status"] = status
        row["version"] = len(events)
        row["step_started_at"] = step_start
        if due is not None and status not in ("closed", "rejected"):
            row["due_at"] = due
            if status != "suspended":  # a suspension has no reminder, only its review date
                row["remind_at"] = step_start + (due - step_start) * 0.8
            if due < self.now:
                red = step_start + (due - step_start) * 2
                row["overdue"] = True
                row["escalation_level"] = 2 if self.now > red else 1
                self.notices.append((row["id"], NotificationKind.OVERDUE, len(events), due, due))
                if self.now > red:
                    self.notices.append(
                        (row["id"], NotificationKind.ESCALATION, len(events), due, red)
                    )
        elif due is not None:
            row["due_at"] = due
        return row


CASE_FIELDS = [f.attname for f in Case._meta.concrete_fields]
EVENT_FIELDS = [
    "case_id",
    "seq",
    "action",
    "from_status",
    "to_status",
    "actor_id",
    "at",
    "note",
    "payload",
]


ATTACHMENT_FIELDS = [f.attname for f in Attachment._meta.concrete_fields if f.attname != "id"]
PHOTO_HASH_FIELDS = [f.attname for f in PhotoHash._meta.concrete_fields]


def field_defaults(model) -> dict:
    """Each column's default, as a row written below the ORM needs them (a NOT NULL text
    column without a default gets "", as the ORM would give it)."""
    return {f.attname: f.get_default() for f in model._meta.concrete_fields}


def stand_in_photo() -> dict:
    """The stand-in picture's ``Attachment`` and ``PhotoHash`` fields, written to storage
    if it is not there (a copy of the district's database served from other media needs
    it too)."""
    if not default_storage.exists(STAND_IN_PHOTO):
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), (196, 198, 200)).save(buffer, "JPEG", quality=80)
        default_storage.save(STAND_IN_PHOTO, ContentFile(buffer.getvalue()))
    with default_storage.open(STAND_IN_PHOTO) as handle:
        data = handle.read()
    prints = fingerprint(data)
    return {
        "attachment": {
            "file": STAND_IN_PHOTO,
            "thumbnail": "",
            "content_type": "image/jpeg",
            "size": len(data),
            "width": prints["width"],
            "height": prints["height"],
        },
        "hash": prints,
    }


def _write_verification_photos(history: _History, stand_in: dict, first: int, last: int):
    """The verification photos of cases ``first``–``last`` (their events are in), with the
    stand-in's fingerprint, as the nightly scan would have computed it."""
    if not history.verified:
        return
    event_of = dict(
        CaseEvent.objects.filter(
            case_id__gte=first, case_id__lte=last, action="verify_pass"
        ).values_list("case_id", "id")
    )
    rows = []
    for case_id, reported, verified, lon, lat in history.verified:
        rows.append(
            {
                **stand_in["attachment"],
                "case_id": case_id,
                "event_id": event_of[case_id],
                "stage": Attachment.Stage.VERIFICATION,
                "public": False,
                "created_at": verified,
                **history.capture(reported, verified, lon, lat),
            }
        )
    history.verified.clear()
    located = [row for row in rows if "capture_lon" in row]
    cells = get_cell_index().lookup_many(
        [row["capture_lon"] for row in located], [row["capture_lat"] for row in located]
    )
    for row, cell in zip(located, cells, strict=True):
        row["capture_cell_id"] = None if cell < 0 else int(cell)
    insert_rows(
        Attachment, ATTACHMENT_FIELDS, [[row.get(f) for f in ATTACHMENT_FIELDS] for row in rows]
    )
    ids = Attachment.objects.filter(
        case_id__gte=first, case_id__lte=last, stage=Attachment.Stage.VERIFICATION
    ).values_list("id", flat=True)
    prints = field_defaults(PhotoHash) | stand_in["hash"]
    insert_rows(
        PhotoHash,
        PHOTO_HASH_FIELDS,
        [[i if f == "attachment_id" else prints.get(f) for f in PHOTO_HASH_FIELDS] for i in ids],
    )


def create_case_history(
    cells: Sequence[GridCell], *, total: int, rng: random.Random, progress: bool = True
) -> int:
    """Write ``total`` cases with their events, spread over the last three years."""
    history = _History(cells, rng, timezone.now())
    first_id = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    defaults = field_defaults(Case)
    stand_in = stand_in_photo()
    bar = tqdm(total=total, unit="case", disable=not progress, desc="cases")
    for start in range(0, total, BATCH):
        rows, events = [], []
        batch = range(first_id + start, first_id + min(total, start + BATCH))
        for case_id in batch:
            row, case_events = history.case(case_id, (case_id - first_id) / total)
            rows.append([row.get(name, defaults[name]) for name in CASE_FIELDS])
            events.extend(case_events)
        with transaction.atomic():
            insert_rows(Case, CASE_FIELDS, rows)
            insert_rows(CaseEvent, EVENT_FIELDS, events)
            insert_rows(SlaNotice, NOTICE_FIELDS, [(*n, 0) for n in history.notices])
            _write_verification_photos(history, stand_in, batch[0], batch[-1])
        history.notices.clear()
        bar.update(len(rows))
    bar.close()
    with transaction.atomic():
        CaseNumberCounter.objects.bulk_create(
            [
                CaseNumberCounter(
                    district_code="110105", day=datetime.strptime(day, "%Y%m%d").date(), last=last
                )
                for day, last in history.day_seq.items()
            ],
            update_conflicts=True,
            unique_fields=["district_code", "day"],
            update_fields=["last"],
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), "
                    "(SELECT MAX(id) FROM cases_case))"
                )
    if connection.vendor == "postgresql":
        # Fresh COPYed pages are not yet marked all-visible, so counts would read the heap
        # (a street's list took 250 ms instead of 4 ms); vacuum now rather than wait for it.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cases_case")
            cursor.execute("VACUUM ANALYZE cases_caseevent")
            cursor.execute("VACUUM ANALYZE cases_attachment")
    return total
