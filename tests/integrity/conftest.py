"""Fixtures and builders for the integrity tests: cases with chosen times, timelines written
as the services write them, and photos that are real images with distinct fingerprints."""

from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.utils import timezone
from PIL import Image, ImageDraw

from cases.models import Case, CaseEvent, Category

from ..cases.personas import (  # noqa: F401  (fixtures are found by name)
    _media_in_tmp,
    _no_cross_check,
    cast,
    staff2,
    worker_a2,
)

_numbers = itertools.count(1)


def picture(seed: int, size: int = 320) -> Image.Image:
    """A photo-like image: a smooth random field with a few shapes, different per seed."""
    rng = np.random.default_rng(seed)
    field = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    image = Image.fromarray(field).resize((size, size), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x, y = (int(v) for v in rng.integers(0, size - 60, 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.rectangle([x, y, x + int(rng.integers(20, 80)), y + int(rng.integers(20, 80))], colour)
    return image


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def photo_file(data: bytes, name: str = "photo.png") -> SimpleUploadedFile:
    content_type = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
    return SimpleUploadedFile(name, data, content_type=content_type)


def retouched(seed: int) -> bytes:
    """The photo of ``seed`` as a reused copy looks: re-saved as JPEG, shrunk, cropped a bit."""
    image = picture(seed)
    w, h = image.size
    image = image.crop((6, 6, w - 4, h - 6)).resize((240, 240))
    return encoded(image, "JPEG", quality=70)


def plain_case(cell, *, reporter=None, at: datetime | None = None, **fields) -> Case:
    """A case row written directly (as the district history is): no services, chosen time."""
    at = at or timezone.now()
    category = fields.pop("category", None) or Category.objects.get(code="C0101")
    return Case.objects.create(
        number=f"T-{next(_numbers):08d}",
        title=fields.pop("title", "井盖丢失"),
        description=fields.pop("description", "人行道上水井盖丢失"),
        category=category,
        priority=category.default_priority,
        lon=fields.pop("lon", 116.405),
        lat=fields.pop("lat", 39.905),
        cell=cell,
        street=cell.community.street,
        reporter=reporter,
        step_started_at=at,
        created_at=at,
        **fields,
    )


def add_event(case: Case, action: str, to_status: str, *, actor, at: datetime, note: str = ""):
    """Append one event to a case's timeline and move its status, as a service would."""
    seq = (case.events.aggregate(m=Max("seq"))["m"] or 0) + 1
    last = case.events.order_by("-seq").first()
    event = CaseEvent.objects.create(
        case=case,
        seq=seq,
        action=action,
        from_status=last.to_status if last else "",
        to_status=to_status,
        actor=actor,
        at=at,
        note=note,
    )
    Case.objects.filter(pk=case.pk).update(status=to_status, version=seq)
    return event


@pytest.fixture
def since():
    return timezone.now() - timedelta(days=1)


def street(seed: int, *, problem: int | None = None, size=(800, 600)) -> Image.Image:
    """A textured street-like photo: grainy ground, a facade with windows, shapes; with a
    ``problem`` (a pile of shapes on the ground) of its own seed, so one spot can be shot
    again with something new in it."""
    rng = np.random.default_rng(seed)
    w, h = size
    grain = rng.normal(0, 1, (h // 4, w // 4))
    grain = np.asarray(Image.fromarray(grain.astype(np.float32)).resize(size))
    base = rng.integers(60, 200, 3)
    pixels = np.clip(base + grain[..., None] * 25 + rng.normal(0, 8, (h, w, 3)), 0, 255)
    image = Image.fromarray(pixels.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, w, h // 2], fill=tuple(int(v) for v in rng.integers(90, 230, 3)))
    for x in range(20, w - 40, int(rng.integers(45, 70))):
        for y in range(20, h // 2 - 40, int(rng.integers(45, 70))):
            draw.rectangle(
                [x, y, x + 28, y + 30], fill=tuple(int(v) for v in rng.integers(0, 120, 3))
            )
    for _ in range(12):
        x, y = (int(v) for v in rng.integers(0, w - 80, 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse([x, y, x + int(rng.integers(10, 60)), y + int(rng.integers(10, 60))], colour)
    if problem is not None:
        pile = np.random.default_rng(problem)
        cx, cy = int(pile.integers(150, w - 150)), int(pile.integers(h // 2 + 60, h - 80))
        for _ in range(40):
            x, y = cx + int(pile.normal(0, 45)), cy + int(pile.normal(0, 25))
            colour = tuple(int(v) for v in pile.integers(0, 256, 3))
            draw.polygon([(x, y), (x + int(pile.integers(8, 30)), y + 5), (x + 4, y + 20)], colour)
    return image
