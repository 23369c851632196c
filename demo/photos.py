"""Generated photos the size a phone sends (1280×960 JPEG, 150–200 KB), deterministic
by seed and each one different: every picture gets its own scene (sky, ground, buildings,
a few objects), so the integrity rule on reused photos (perceptual hashes) flags only the
reuse the demo stages on purpose. Sensor noise from one seeded layer gives the file the
weight of a real photo; the EXIF capture time is the (simulated) moment it was taken."""

from __future__ import annotations

import io
import random

import numpy as np
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageChops, ImageDraw

WIDTH, HEIGHT = 1280, 960
SCENE = (160, 120)  # the layout's grid, drawn SCALE times larger
SCALE = WIDTH // SCENE[0]
NOISE_SIGMA = 9
BRIGHTEST = 255 - 4 * NOISE_SIGMA  # scene colours stay below it: noise is added modulo 256
JPEG_QUALITY = 86
_EXIF_DATETIME_ORIGINAL = 0x9003
_EXIF_IFD = 0x8769


def _colour(rng: random.Random, low: int = 0, high: int = BRIGHTEST) -> tuple[int, int, int]:
    return tuple(rng.randint(low, min(high, BRIGHTEST)) for _ in range(3))


class PhotoStudio:
    """Makes the demo's photos: ``studio.photo()`` is a new picture each call."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        noise = np.abs(np.random.default_rng(seed).normal(0, NOISE_SIGMA, (HEIGHT, WIDTH, 3)))
        self.noise = Image.fromarray(noise.clip(0, 4 * NOISE_SIGMA).astype(np.uint8), "RGB")
        self.made = 0
        self.last: bytes = b""

    def _scene(self) -> Image.Image:
        """Sky, ground, buildings and a few objects, laid out on a coarse grid and drawn at
        full size (enlarging a small drawing costs more than drawing it large)."""
        rng = self.rng
        w, h = SCENE
        image = Image.new("RGB", (WIDTH, HEIGHT))
        draw = ImageDraw.Draw(image)

        def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
            return [x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE]

        horizon = rng.randint(h // 4, h * 2 // 3) * SCALE
        sky, haze = _colour(rng, 90, 230), _colour(rng, 150, 250)
        for y in range(horizon):
            f = y / max(1, horizon - 1)
            colour = tuple(int(a + (b - a) * f) for a, b in zip(sky, haze, strict=True))
            draw.line([(0, y), (WIDTH, y)], fill=colour)
        draw.rectangle([0, horizon, WIDTH, HEIGHT], fill=_colour(rng, 40, 160))
        horizon //= SCALE
        for _ in range(rng.randint(2, 6)):  # buildings on the horizon
            x, bw, bh = rng.randint(-10, w), rng.randint(12, 50), rng.randint(15, horizon)
            draw.rectangle(box(x, horizon - bh, x + bw, horizon), fill=_colour(rng, 60, 220))
        for _ in range(rng.randint(3, 8)):  # whatever the case is about, in front
            x, y = rng.randint(0, w), rng.randint(horizon - 10, h)
            size = rng.randint(6, 35)
            shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
            shape(box(x, y, x + size, y + size * rng.uniform(0.4, 1.2)), fill=_colour(rng))
        return image

    def jpeg(self) -> bytes:
        """A new photo's bytes, with the current (simulated) time as its capture time."""
        picture = ImageChops.add_modulo(self._scene(), self.noise)
        exif = Image.Exif()
        taken = timezone.localtime().strftime("%Y:%m:%d %H:%M:%S")
        exif.get_ifd(_EXIF_IFD)[_EXIF_DATETIME_ORIGINAL] = taken
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=JPEG_QUALITY, exif=exif)
        self.made += 1
        self.last = buffer.getvalue()
        return self.last

    def photo(self) -> ContentFile:
        """A new photo as an upload would bring it (through the photo pipeline like any)."""
        return ContentFile(self.jpeg(), name=f"IMG_{self.made:04d}.jpg")

    def again(self) -> ContentFile:
        """The previous photo once more: a reuse staged for the integrity rule to find."""
        return ContentFile(self.last, name=f"IMG_{self.made:04d}.jpg")
