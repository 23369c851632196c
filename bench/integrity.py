"""Integrity rules on the district demo (2,000,000 cases) with planted fakes: precision and
recall per rule, and how long each rule takes.

    .venv/bin/python bench/integrity.py

One command: it works in its own copy of the seeded district, ``gridgov_integrity_bench``
(created from ``gridgov_bench`` with ``createdb -T`` when missing, retrying while someone is
connected to the source; never written to), migrates it, removes what an earlier run planted,
plants 1,000 fakes of each kind plus 1,000 look-alike clean cases of each kind ("controls"),
runs every rule over the last 90 days and scores the flags. Photos go to
``/tmp/gridgov_integrity_bench_media``. Override with ``DATABASE_URL`` / ``MEDIA_ROOT``;
``--days`` changes the scan window; ``--set INTEGRITY_…=value`` tries another threshold;
``--history-only --days 1100`` plants nothing and scans the whole seeded history.

What is planted (all inside the window, "now" is the run's start):

- near_duplicate — a history case copied by its own reporter 1–72 h later, 3–25 m away, text
  identical, with added punctuation, or one character changed. Controls: the same text
  60–300 m away, or the same spot 8–14 days later (a recurring problem).
- reused_photo — a photo on one case of a worker and a retouched copy (JPEG quality 50–90,
  cropped ≤ 12 px, rescaled, brightness ±15 %) on a later case of theirs. Controls: the
  originals, 500 distinct photos, and 500 other shots of an original's scene (same
  background, other objects, camera moved 5–20 px).
- verification_no_evidence — a closed case whose verification has no photo and a note of
  "已核查"/"ok"/"同意"… or the handler's note copied. Controls: a real note without photo, or
  "ok" with a photo.
- verification_too_fast — verified 0.5–9.5 min after the result. Controls: 12 min–48 h.
- report_burst — a worker files 6–15 extra reports in the last 3 days of a month. Controls:
  2–3 extra (ordinary variation).
- self_resolve_unchecked — resolved on the spot, then never verified (≥ 4 days) or verified by
  the resolver. Controls: verified by another worker, or resolved < 72 h ago.

Besides this planted set (a), an adversarial set (b) of N/2 fakes of each kind and their hard
controls comes from ``bench/integrity_fakes.py`` (reworded refiles by the same worker or a
neighbour, under sibling categories; desk verifications with a fluent note, a 20–90 min
delay and a photo taken at the office or days before; bursts spread over 10–14 days; and
recurring problems, joint reports of one event, quick-fill phrases naming other spots, honest
verifications with poor fixes, storms over a whole street). ``--n`` plants fewer.

Rules with a score (near_duplicate: how improbable the pair is by chance, −log10 of its
expected chance count; report_burst: the Bonferroni-adjusted p-value) run permissively and
their threshold is chosen afterwards on half A of the planted items and the history (split by
a seeded hash, ``bench/integrity_scores.py``) and reported on half B; both halves are printed.
report_burst is run over the whole window in one pass (the other rules a month at a time, as
``run_rules`` scans): run permissively in monthly chunks, the weak first part of a burst
straddling a chunk's end would be stored and the whole burst left out as the same stretch
found again. Per rule and set: recall, raw precision, precision
re-weighted to base rates of 1 % and 0.1 % — with the false-positive rate of the seeded
history (P@1%, P@.1%) and, separately, of the hard controls (P@1%c, P@.1%c) — and history
false positives per 10,000 history cases (bursts: per 10,000 worker-months). reused_photo's
adversarial figures are in ``bench/integrity_photos.py``. The history's texts are the demo's
quick-fill phrases as seeded, each naming a spot of its cell and lying within 40 m of where
that spot is (``cases.demo_history``); its verifications carry the photo their category
requires, with the verifier's capture facts, over one flat stand-in image the photo rule
never compares. The history is not changed and nothing is added to it.
``--rule NAME`` runs and scores one rule (everything is still planted).

A flag counts as a true positive only on a planted fake of its own rule (for bursts: a flag
on the planted worker whose stretch overlaps the planted days). Everything else is a false
positive, reported by where it came from: the seeded history or the controls.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _setup import django_setup
from _stats import Load, line

BENCH_DB = "gridgov_integrity_bench"
SOURCE_DB = "gridgov_bench"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}")
os.environ.setdefault("MEDIA_ROOT", "/tmp/gridgov_integrity_bench_media")
os.environ.setdefault("DEBUG", "false")

N = 1000
PREFIX = "IB-"
PHOTO_DIR = "bench-integrity"
SEED = 2026


def ensure_database(url: str, *, wait_s: int = 900) -> None:
    """Create the bench database from the seeded one if it does not exist yet."""
    import psycopg2
    from psycopg2 import errors

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    deadline = time.monotonic() + wait_s
    while True:
        connection = psycopg2.connect(admin)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if cursor.fetchone():
                    return
                print(f"creating {name} from {SOURCE_DB} …", flush=True)
                cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{SOURCE_DB}"')
                return
        except errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise
            print(f"{SOURCE_DB} is in use; retrying in 15 s", flush=True)
            time.sleep(15)
        finally:
            connection.close()


# --- pictures -------------------------------------------------------------------------------


def picture(seed: int, *, shapes_seed: int | None = None, shift: int = 0, size: int = 320):
    """A photo-like image: a smooth random background with four objects on it."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    background = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    image = Image.fromarray(background).resize((size + 40, size + 40), Image.Resampling.BICUBIC)
    image = image.crop((20 + shift, 20, 20 + shift + size, 20 + size))
    draw = ImageDraw.Draw(image)
    objects = np.random.default_rng(seed + 10**7 if shapes_seed is None else shapes_seed)
    for _ in range(4):
        x, y = (int(v) for v in objects.integers(0, size - 60, 2))
        colour = tuple(int(v) for v in objects.integers(0, 256, 3))
        w, h = (int(v) for v in objects.integers(20, 80, 2))
        draw.rectangle([x, y, x + w, y + h], colour)
    return image


def jpeg(image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def retouched(image, rng: random.Random) -> bytes:
    from PIL import ImageEnhance

    w, h = image.size
    c = rng.randint(2, 12)
    image = image.crop((c, c // 2, w - c // 2, h - c))
    side = rng.randint(200, 400)
    image = image.resize((side, side))
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.85, 1.15))
    return jpeg(image, quality=rng.randint(50, 90))


# --- planting -------------------------------------------------------------------------------


@dataclass
class Plant:
    """A case to insert (``case`` unsaved) with its timeline and photos, or photos for an
    existing case (``case_id``)."""

    case: object | None = None
    case_id: int | None = None
    events: list[tuple] = field(default_factory=list)  # (action, from, to, actor_id, at, note)
    # (stage, event index|None, bytes, at[, capture facts: Attachment fields])
    photos: list[tuple] = field(default_factory=list)


class Planter:
    def __init__(self, *, now: datetime, since: datetime, rng: random.Random) -> None:
        from cases.demo import DESCRIPTIONS, SPOTS
        from cases.models import Case, Category
        from grids.models import Assignment, GridCell, Role

        self.now, self.since, self.rng = now, since, rng
        self.descriptions, self.spots = DESCRIPTIONS, SPOTS
        self.numbers = Counter()
        self.photo_seed = 0
        self.categories = list(Category.objects.subcategories().active())
        self.cells = {
            c.pk: c
            for c in GridCell.objects.select_related("community").defer(
                "geometry", "community__geometry"
            )
        }
        self.reporter: dict[int, int] = {}
        self.cell_of: dict[int, int] = {}
        self.staff: dict[int, int] = {}
        handler_of: dict[int, int] = {}
        for a in Assignment.objects.active().order_by("user_id"):
            if a.role == Role.GRID_WORKER and a.cell_id:
                self.reporter.setdefault(a.cell_id, a.user_id)
                self.cell_of.setdefault(a.user_id, a.cell_id)
            elif a.role == Role.STREET_STAFF:
                self.staff.setdefault(a.street_id, a.user_id)
            elif a.role == Role.HANDLER:
                handler_of.setdefault(a.department_id, a.user_id)
        self.department_id, self.handler_id = next(iter(handler_of.items()))
        self.street_cells: dict[int, list[int]] = defaultdict(list)
        for cell in self.cells.values():
            self.street_cells[cell.community.street_id].append(cell.pk)
        self.pool = list(
            Case.objects.filter(
                created_at__gte=since + timedelta(days=1),
                created_at__lt=now - timedelta(days=5),
                reporter__isnull=False,
            )
            .exclude(status="rejected")
            .exclude(number__startswith=PREFIX)
            .values(
                "id",
                "reporter_id",
                "cell_id",
                "street_id",
                "category_id",
                "priority",
                "lon",
                "lat",
                "title",
                "description",
                "created_at",
            )
        )
        rng.shuffle(self.pool)
        self.plants: list[Plant] = []

    # helpers
    def take(self) -> dict:
        return self.pool.pop()

    def number(self, kind: str) -> str:
        self.numbers[kind] += 1
        return f"{PREFIX}{kind}-{self.numbers[kind]:05d}"

    def when(self, *, earliest_days: float = 2, latest_days: float = 4) -> datetime:
        span = (self.now - timedelta(days=latest_days)) - (
            self.since + timedelta(days=earliest_days)
        )
        return self.since + timedelta(days=earliest_days) + span * self.rng.random()

    def point_in(self, cell_id: int) -> tuple[float, float]:
        c = self.cells[cell_id]
        lon = self.rng.uniform(c.min_lon, c.max_lon) * 0.4 + (c.min_lon + c.max_lon) * 0.3
        lat = self.rng.uniform(c.min_lat, c.max_lat) * 0.4 + (c.min_lat + c.max_lat) * 0.3
        return round(lon, 6), round(lat, 6)

    def text(self, cell_id: int, category) -> tuple[str, str]:
        spot = self.rng.choice(self.spots)
        community = self.cells[cell_id].community.name
        return (
            f"{community}{spot}{category.name}",
            self.descriptions[category.family].format(spot=spot, name=category.name),
        )

    def other_worker(self, cell_id: int) -> int:
        street = self.cells[cell_id].community.street_id
        cells = [c for c in self.street_cells[street] if c != cell_id and c in self.reporter]
        return self.reporter[self.rng.choice(cells)]

    def next_photo(self, **variant) -> object:
        self.photo_seed += 1
        return picture(SEED * 100_000 + self.photo_seed, **variant)

    def new_case(self, kind: str, *, cell_id: int, at: datetime, category=None, **fields):
        from cases.models import Case

        category = category or self.rng.choice(self.categories)
        title, description = self.text(cell_id, category)
        lon, lat = self.point_in(cell_id)
        values = {
            "number": self.number(kind),
            "title": title,
            "description": description,
            "category_id": category.pk,
            "priority": category.default_priority,
            "source": "patrol",
            "lon": lon,
            "lat": lat,
            "cell_id": cell_id,
            "street_id": self.cells[cell_id].community.street_id,
            "reporter_id": self.reporter[cell_id],
            "step_started_at": at,
            "created_at": at,
            "status": "collected",
        }
        values.update(fields)
        return Case(**values)

    def closed(
        self,
        kind: str,
        *,
        verify_after: timedelta,
        verify_note: str,
        verify_photo: bytes | None = None,
        report_note: str = "已处置完毕。",
    ) -> Plant:
        """A case walked through the whole loop (accept → … → verify_pass)."""
        cell_id = self.rng.choice(list(self.reporter))
        reporter = self.reporter[cell_id]
        t0 = self.when()
        staff = self.staff[self.cells[cell_id].community.street_id]
        accepted = t0 + timedelta(hours=self.rng.uniform(0.5, 4))
        dispatched = accepted + timedelta(hours=self.rng.uniform(0.2, 2))
        started = dispatched + timedelta(hours=self.rng.uniform(0.5, 8))
        reported = started + timedelta(hours=self.rng.uniform(1, 24))
        verified = reported + verify_after
        case = self.new_case(
            kind,
            cell_id=cell_id,
            at=t0,
            status="closed",
            accepted_at=accepted,
            dispatched_at=dispatched,
            started_at=started,
            reported_at=reported,
            closed_at=verified,
            step_started_at=reported,
            department_id=self.department_id,
            handler_id=self.handler_id,
            verifier_id=reporter,
            version=6,
        )
        plant = Plant(
            case=case,
            events=[
                ("create", "", "collected", reporter, t0, ""),
                ("accept", "collected", "accepted", staff, accepted, ""),
                ("dispatch", "accepted", "dispatched", staff, dispatched, ""),
                ("start", "dispatched", "handling", self.handler_id, started, ""),
                ("report", "handling", "feedback", self.handler_id, reported, report_note),
                ("verify_pass", "feedback", "closed", reporter, verified, verify_note),
            ],
        )
        if verify_photo:
            plant.photos.append(("verification", 5, verify_photo, verified))
        return plant

    def real_note(self) -> str:
        return self.rng.choice(
            [
                "现场查看已修复到位，周边无其他隐患。",
                "到场核查，设施恢复正常使用，已拍照留存。",
                "与居民一同复核，问题已解决，居民认可。",
                "现场复核整改完成，已告知物业加强巡查。",
            ]
        )


def plant_near_duplicates(p: Planter, truth: set, controls: set) -> None:
    def copy_text(h: dict, mode: int) -> tuple[str, str]:
        title, description = h["title"], h["description"]
        if mode == 1:
            description += p.rng.choice(["。", "！", "，请尽快处理。"])[:2]
        elif mode == 2:
            i = p.rng.randrange(len(description) - 1)
            description = description[:i] + p.rng.choice("请需急速") + description[i + 1 :]
        return title, description

    from integrity_fakes import offset

    from cases.models import Case

    def away(h: dict, metres: float) -> tuple[float, float]:
        return offset(p.rng, h["lon"], h["lat"], metres)

    for kind, count in (("dup", N), ("ctl-dup", N)):
        for i in range(count):
            h = p.take()
            if kind == "dup":
                at = h["created_at"] + timedelta(hours=p.rng.uniform(1, 72))
                lon, lat = away(h, p.rng.uniform(3, 25))
                title, description = copy_text(h, i % 3)
            elif i % 2:
                at = h["created_at"] + timedelta(hours=p.rng.uniform(1, 72))
                lon, lat = away(h, p.rng.uniform(60, 300))
                title, description = h["title"], h["description"]
            else:
                at = h["created_at"] + timedelta(days=p.rng.uniform(8, 14))
                lon, lat = away(h, p.rng.uniform(3, 25))
                title, description = h["title"], h["description"]
            case = Case(
                number=p.number(kind),
                title=title,
                description=description,
                category_id=h["category_id"],
                priority=h["priority"],
                source="patrol",
                lon=lon,
                lat=lat,
                cell_id=h["cell_id"],
                street_id=h["street_id"],
                reporter_id=h["reporter_id"],
                step_started_at=at,
                created_at=at,
                status="collected",
            )
            p.plants.append(
                Plant(case=case, events=[("create", "", "collected", h["reporter_id"], at, "")])
            )
            (truth if kind == "dup" else controls).add(case.number)


def plant_reused_photos(p: Planter, truth: set, controls: set) -> None:
    by_reporter: dict[int, list[dict]] = defaultdict(list)
    for h in p.pool[-20_000:]:
        by_reporter[h["reporter_id"]].append(h)
    del p.pool[-20_000:]
    pairs = []
    for cases in by_reporter.values():
        cases.sort(key=lambda h: h["created_at"])
        while len(cases) >= 2 and len(pairs) < N:
            first, later = cases.pop(0), cases.pop()
            if first["created_at"] < later["created_at"]:
                pairs.append((first, later))
    for first, later in pairs:
        image = p.next_photo()
        stage = p.rng.choice(["report", "result"])
        p.plants.append(
            Plant(case_id=first["id"], photos=[(stage, None, jpeg(image), first["created_at"])])
        )
        copy = retouched(image, p.rng)
        stage = p.rng.choice(["report", "result", "verification"])
        p.plants.append(
            Plant(
                case_id=later["id"],
                photos=[(stage, None, copy, later["created_at"] + timedelta(hours=2))],
            )
        )
        truth.add(later["id"])
        controls.add(first["id"])  # the original is clean: flagging it would be wrong
    scenes = p.rng.sample(range(1, p.photo_seed + 1), N // 2)
    for i in range(N):
        h = p.take()
        if i % 2:
            image = p.next_photo()
        else:  # another shot of a scene photographed for another case: other objects in it
            base = SEED * 100_000 + scenes.pop()
            image = picture(base, shapes_seed=base + 5 * 10**7, shift=p.rng.randint(5, 20))
        p.plants.append(
            Plant(case_id=h["id"], photos=[("report", None, jpeg(image), h["created_at"])])
        )
        controls.add(h["id"])


def plant_verifications(p: Planter, truths: dict, controls: dict) -> None:
    bare_notes = ["已核查", "同意", "ok", "属实", "已处理", "好", "已完成", "", "已核实。"]
    for i in range(N):
        copied = i % 5 == 0
        plant = p.closed(
            "nev",
            verify_after=timedelta(minutes=p.rng.uniform(20, 48 * 60)),
            verify_note="已处置完毕。" if copied else p.rng.choice(bare_notes),
        )
        p.plants.append(plant)
        truths["verification_no_evidence"].add(plant.case.number)
    for i in range(N):
        with_photo = i % 2 == 0
        plant = p.closed(
            "ctl-nev",
            verify_after=timedelta(minutes=p.rng.uniform(20, 48 * 60)),
            verify_note="ok" if with_photo else p.real_note(),
            verify_photo=jpeg(p.next_photo()) if with_photo else None,
        )
        p.plants.append(plant)
        controls["verification_no_evidence"].add(plant.case.number)
    for kind, minutes in (("fast", (0.5, 9.5)), ("ctl-fast", (12, 48 * 60))):
        for _ in range(N):
            plant = p.closed(
                kind,
                verify_after=timedelta(minutes=p.rng.uniform(*minutes)),
                verify_note=p.real_note(),
            )
            p.plants.append(plant)
            target = truths if kind == "fast" else controls
            target["verification_too_fast"].add(plant.case.number)


def plant_bursts(p: Planter, truth: set, controls: set) -> None:
    from integrity.rules.bursts import closing_window, periods_touching

    windows = [
        (month, *closing_window(month, 3))
        for month in periods_touching(p.since, p.now, 3)
        if closing_window(month, 3)[0] >= p.since and closing_window(month, 3)[1] <= p.now
    ]
    workers = sorted(p.cell_of)
    for kind, target, count in (("burst", truth, N), ("ctl-burst", controls, N)):
        for i in range(count):
            month, start, end = windows[i % len(windows)]
            while True:
                worker = p.rng.choice(workers)
                key = (worker, f"{month:%Y-%m}")
                if key not in truth and key not in controls:
                    break
            target.add(key)
            if kind == "burst":
                extra = p.rng.randint(6, 9) if i % 2 else p.rng.randint(10, 15)
            else:
                extra = p.rng.randint(2, 3)
            for _ in range(extra):
                at = start + (end - start) * p.rng.random()
                case = p.new_case(kind, cell_id=p.cell_of[worker], at=at, reporter_id=worker)
                p.plants.append(
                    Plant(case=case, events=[("create", "", "collected", worker, at, "")])
                )


def plant_self_resolves(p: Planter, truth: set, controls: set) -> None:
    for kind in ("sr", "ctl-sr"):
        for i in range(N):
            cell_id = p.rng.choice(list(p.reporter))
            worker = p.reporter[cell_id]
            other = p.other_worker(cell_id)
            waiting = kind == "ctl-sr" and i % 10 < 3
            t0 = p.now - timedelta(hours=p.rng.uniform(2, 60)) if waiting else p.when()
            resolved = t0 + timedelta(minutes=p.rng.uniform(5, 60))
            if waiting:
                resolved = min(resolved, p.now - timedelta(minutes=30))
            events = [
                ("create", "", "collected", worker, t0, ""),
                ("self_resolve", "collected", "feedback", worker, resolved, "现场已协调解决。"),
            ]
            status, verifier, closed_at = "feedback", other, None
            verify_by = None
            if kind == "sr" and i % 2:
                verify_by = worker
            elif kind == "ctl-sr" and not waiting:
                verify_by = other
            if verify_by:
                closed_at = resolved + timedelta(minutes=p.rng.uniform(30, 24 * 60))
                events.append(
                    ("verify_pass", "feedback", "closed", verify_by, closed_at, p.real_note())
                )
                status = "closed"
            case = p.new_case(
                kind,
                cell_id=cell_id,
                at=t0,
                status=status,
                reported_at=resolved,
                closed_at=closed_at,
                verifier_id=verifier,
                step_started_at=resolved,
                version=len(events),
            )
            p.plants.append(Plant(case=case, events=events))
            (truth if kind == "sr" else controls).add(case.number)


def plant_adversarial(p: Planter, truths: dict, controls: dict) -> tuple[dict, dict]:
    """The adversarial set (``bench/integrity_fakes.py``): its own fakes and controls."""
    from integrity_fakes import (
        plant_desk_verifications,
        plant_refiled_reports,
        plant_spread_bursts,
    )

    fakes: dict[str, set] = defaultdict(set)
    honest: dict[str, set] = defaultdict(set)
    n = N // 2
    plant_refiled_reports(p, Plant, n, fakes["near_duplicate"], honest["near_duplicate"])
    plant_desk_verifications(p, n, fakes, honest, photo=lambda: jpeg(p.next_photo()))
    taken = {w for w, _period in truths["report_burst"] | controls["report_burst"]}
    stretches, storms = [], []
    plant_spread_bursts(p, Plant, n, stretches, storms, taken)
    fakes["report_burst"], honest["report_burst"] = set(stretches), set(storms)
    return fakes, honest


def insert(plants: list[Plant]) -> None:
    """Cases, then their events, then photo files and attachment rows."""
    from django.conf import settings
    from django.db import transaction

    from cases.models import Attachment, Case, CaseEvent

    folder = Path(settings.MEDIA_ROOT) / PHOTO_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        new = [pl for pl in plants if pl.case is not None]
        Case.objects.bulk_create([pl.case for pl in new], batch_size=2000)
        events = []
        for pl in new:
            pl.case_id = pl.case.pk
            pl.event_rows = [
                CaseEvent(
                    case_id=pl.case_id,
                    seq=seq,
                    action=action,
                    from_status=frm,
                    to_status=to,
                    actor_id=actor,
                    at=at,
                    note=note,
                )
                for seq, (action, frm, to, actor, at, note) in enumerate(pl.events, start=1)
            ]
            events += pl.event_rows
        CaseEvent.objects.bulk_create(events, batch_size=5000)
        attachments = []
        for n, pl in enumerate(p for p in plants if p.photos):
            for k, (stage, event_index, data, at, *facts) in enumerate(pl.photos):
                name = f"{PHOTO_DIR}/{n:05d}-{k}.jpg"
                (Path(settings.MEDIA_ROOT) / name).write_bytes(data)
                event = pl.event_rows[event_index] if event_index is not None else None
                attachments.append(
                    Attachment(
                        case_id=pl.case_id,
                        event=event,
                        stage=stage,
                        file=name,
                        content_type="image/jpeg",
                        size=len(data),
                        created_at=at,
                        **(facts[0] if facts else {}),
                    )
                )
        Attachment.objects.bulk_create(attachments, batch_size=2000)


def clean_up() -> None:
    """Remove everything an earlier run planted or flagged (the history is never touched)."""
    from django.conf import settings
    from django.db import transaction

    from cases.demo import delete_cases
    from cases.models import Attachment, Case
    from integrity.models import IntegrityFlag, PhotoHash

    with transaction.atomic():
        IntegrityFlag.objects.all().delete()
        planted = Attachment.objects.filter(file__startswith=f"{PHOTO_DIR}/")
        # the planted photos' fingerprints; the history's stand-in keeps its own
        PhotoHash.objects.filter(attachment_id__in=planted.values("id")).delete()
        planted.delete()
        # what the kept photos were matched against is gone: check them again
        PhotoHash.objects.filter(informative=True).update(matches=[], matched_at=None)
        delete_cases(Case.objects.filter(number__startswith=PREFIX))
    shutil.rmtree(Path(settings.MEDIA_ROOT) / PHOTO_DIR, ignore_errors=True)


# --- scoring --------------------------------------------------------------------------------


def history_only(*, since: datetime, now: datetime, days: float) -> None:
    """Every flag here is raised by the seeded history alone: what the rules make of data
    with no fakes planted in it."""
    from cases.models import Case
    from integrity.models import IntegrityFlag
    from integrity.services import run_rules

    cases = Case.objects.filter(created_at__gte=since, created_at__lt=now).count()
    print(f"history only: {cases:,} cases filed in the last {days:g} days, nothing planted")
    report = run_rules(since=since, until=now)
    for rule, row in report.items():
        flags = IntegrityFlag.objects.filter(rule=rule).count()
        per_100k = flags / cases * 100_000 if cases else 0
        print(
            f"{rule:<26}{flags:>8} flags  {per_100k:>7.1f} per 100k cases  {row['seconds']:>8.1f} s"
        )
    print(f"all rules: {sum(r['seconds'] for r in report.values()):.1f} s")


def main() -> None:
    load = Load()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=90, help="scan window (default 90)")
    parser.add_argument(
        "--history-only",
        action="store_true",
        help="plant nothing: scan the seeded history alone (use --days 1100 for all of it)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="INTEGRITY_NAME=VALUE",
        help="override a threshold for this run (integrity/conf.py), e.g. "
        "INTEGRITY_DUPLICATE_MIN_SIMILARITY=0.95",
    )
    parser.add_argument(
        "--n", type=int, default=N, help=f"planted fakes of each kind (default {N})"
    )
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="RULE",
        help="run and score only this rule (repeatable; everything is still planted)",
    )
    args = parser.parse_args()
    globals()["N"] = args.n

    ensure_database(os.environ["DATABASE_URL"])
    django_setup()
    from django.conf import settings
    from django.core.management import call_command

    from integrity.conf import DEFAULTS

    # Run permissively where a rule has a score, so thresholds can be chosen afterwards.
    permissive = {
        "INTEGRITY_DUPLICATE_MIN_SIMILARITY": 0.0,
        "INTEGRITY_DUPLICATE_MAX_CHANCE": 1e9,  # finite: thresholds are stored as JSON
        "INTEGRITY_BURST_MAX_P": 1.0,
    }
    for name, value in permissive.items():
        setattr(settings, name, value)
    for item in args.set:
        name, _sep, value = item.partition("=")
        if name not in DEFAULTS:
            parser.error(f"unknown threshold {name}")
        setattr(settings, name, type(DEFAULTS[name])(value))
        permissive.pop(name, None)
        print(f"{name} = {value}")
    from django.utils import timezone

    from cases.models import Case
    from integrity.models import Rule
    from integrity.rules import RULES, Window
    from integrity.services import record_flags, run_rules

    call_command("migrate", verbosity=0)
    from cases.demo_history import stand_in_photo

    stand_in_photo()  # the history's verification photos, in this run's media
    started = time.monotonic()
    clean_up()
    now = timezone.now()
    since = now - timedelta(days=args.days)
    if args.history_only:
        history_only(since=since, now=now, days=args.days)
        return
    rng = random.Random(SEED)
    planter = Planter(now=now, since=since, rng=rng)
    truths: dict[str, set] = defaultdict(set)
    controls: dict[str, set] = defaultdict(set)
    plant_near_duplicates(planter, truths[Rule.NEAR_DUPLICATE], controls[Rule.NEAR_DUPLICATE])
    plant_reused_photos(planter, truths[Rule.REUSED_PHOTO], controls[Rule.REUSED_PHOTO])
    plant_verifications(planter, truths, controls)
    plant_bursts(planter, truths[Rule.REPORT_BURST], controls[Rule.REPORT_BURST])
    plant_self_resolves(
        planter, truths[Rule.SELF_RESOLVE_UNCHECKED], controls[Rule.SELF_RESOLVE_UNCHECKED]
    )
    adversarial = plant_adversarial(planter, truths, controls)
    insert(planter.plants)
    planted_seconds = time.monotonic() - started

    # Numbers of planted cases → ids (photo plants already name history case ids).
    numbers = dict(
        Case.objects.filter(number__startswith=PREFIX).values_list("number", "id").iterator()
    )
    for table in (truths, controls, *adversarial):
        for rule, keys in table.items():
            if rule != Rule.REPORT_BURST:
                table[rule] = {numbers.get(k, k) for k in keys}
    planted_ids = set(numbers.values())
    in_window = Case.objects.filter(created_at__gte=since, created_at__lt=now)
    history_in_window = in_window.exclude(number__startswith=PREFIX).count()

    print(
        f"district demo: {Case.objects.count():,} cases; window {args.days:g} days "
        f"({history_in_window:,} history cases in it); planted {len(planted_ids):,} cases "
        f"and {sum(len(p.photos) for p in planter.plants):,} photos in {planted_seconds:.0f} s"
    )
    until = now + timedelta(seconds=1)
    chosen = [r for r in RULES if not args.rule or r in args.rule]
    if unknown := set(args.rule) - set(RULES):
        parser.error(f"unknown rule {', '.join(sorted(unknown))}")
    # report_burst is scored from one pass over the whole window, not from run_rules'
    # monthly chunks: run permissively, a chunk stores the weak first part of a burst that
    # straddles its end, and the whole burst the next chunk finds is then left out as that
    # stretch found again (FlagDraft.overlaps), its score never seen. At a real threshold
    # the weak part is not stored and the whole is; one pass gives that at every threshold.
    monthly = [r for r in chosen if r != Rule.REPORT_BURST]
    report = run_rules(since=since, until=until, rules=monthly) if monthly else {}
    if Rule.REPORT_BURST in chosen:
        started_bursts = time.monotonic()
        record_flags(RULES[Rule.REPORT_BURST](Window.of(since=since, until=until)))
        report[Rule.REPORT_BURST] = {"seconds": round(time.monotonic() - started_bursts, 2)}
    print(f"\nthresholds: scored with permissive ones ({', '.join(permissive)}), chosen per rule")
    print("on half A of the planted items and history, reported on half B; both halves printed.")
    score_flags(
        truths=truths,
        controls=controls,
        adversarial=adversarial,
        in_window=in_window,
        days=args.days,
        rules=chosen,
    )
    total = sum(row["seconds"] for row in report.values())
    print(f"\nall rules: {total:.1f} s over {args.days:g} days of a 2M-case district")
    print(line("rule run (one per rule)", [row["seconds"] for row in report.values()], unit="s"))
    print(load)


def score_flags(*, truths, controls, adversarial, in_window, days, rules) -> None:
    from integrity_scores import (
        HEADER,
        Truth,
        choose_threshold,
        classify,
        half,
        measure,
        row,
    )

    from integrity.models import IntegrityFlag, Rule
    from integrity.rules.bursts import closing_window

    history = in_window.exclude(number__startswith=PREFIX)
    planted_ids = frozenset(
        in_window.model.objects.filter(number__startswith=PREFIX).values_list("id", flat=True)
    )
    case_units = {"A": 0, "B": 0}
    for case_id in history.values_list("id", flat=True).iterator(chunk_size=50_000):
        case_units[half(case_id)] += 1
    months = max(days / 30, 1)
    worker_units = {"A": 0, "B": 0}
    # order_by(): the case table's default ordering would make DISTINCT run over
    # (reporter, created_at, id), one "worker" per case.
    workers = history.exclude(reporter=None).order_by().values_list("reporter_id", flat=True)
    for worker in workers.distinct():
        worker_units[half(worker)] += months

    def stretch(key):
        worker, period = key
        start, end = closing_window(datetime.strptime(period, "%Y-%m").date(), 3)
        return (worker, start, end)

    print()
    print(HEADER)
    print("-" * len(HEADER))
    for rule in rules:
        truth = Truth()
        if rule == Rule.REPORT_BURST:
            truth.fakes["planted"] = {stretch(k) for k in truths[rule]}
            truth.controls["planted"] = {stretch(k) for k in controls[rule]}
        else:
            truth.fakes["planted"], truth.controls["planted"] = truths[rule], controls[rule]
        truth.fakes["adversarial"] = adversarial[0][rule]
        truth.controls["adversarial"] = adversarial[1][rule]
        if not truth.fakes["planted"] and not truth.fakes["adversarial"]:
            continue
        flags = list(
            IntegrityFlag.objects.filter(rule=rule).values(
                "case_id", "subject_id", "evidence", "related_case_ids"
            )
        )
        units = worker_units if rule == Rule.REPORT_BURST else case_units
        classified = classify(rule, flags, truth, planted_ids)
        chosen_on = "adversarial" if truth.fakes["adversarial"] else "planted"
        threshold = choose_threshold(rule, classified, truth, units, chosen_on)
        for set_name in ("planted", "adversarial"):
            if rule == Rule.REUSED_PHOTO and set_name == "adversarial":
                print(f"{rule:<26}{set_name:<12}see bench/integrity_photos.py")
                continue
            for part in ("A", "B"):
                m = measure(rule, classified, truth, units, set_name, part, threshold)
                print(row(rule, set_name, part, threshold, m))


if __name__ == "__main__":
    sys.exit(main())
