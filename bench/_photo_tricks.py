"""How a worker passes an old photo off as a new one, as image operations.

Written from the tricks, not from the rule: cut away what would give the photo away (crop),
flip it so it "faces the other way", turn it, send it through a chat app and attach the
screenshot (status bar, title bar, letterbox, input bar), let the app recompress and shrink
it, filter it (colour, brightness), or stand at the same spot and photograph the same thing
again on another day (camera moved, other light, sensor noise). ``TRICKS`` maps each trick's
name to a function ``(image, rng) -> image``; ``jpeg`` is the last step of every photo.
"""

from __future__ import annotations

import io
import random

import numpy as np
from _street_scenes import font
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps


def jpeg(image: Image.Image, quality: int = 88) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def crop(image: Image.Image, rng: random.Random) -> Image.Image:
    w, h = image.size
    keep_w, keep_h = rng.uniform(0.5, 0.85), rng.uniform(0.5, 0.85)
    x0 = rng.uniform(0, 1 - keep_w) * w
    y0 = rng.uniform(0, 1 - keep_h) * h
    return image.crop((int(x0), int(y0), int(x0 + keep_w * w), int(y0 + keep_h * h)))


def mirror(image: Image.Image, rng: random.Random) -> Image.Image:
    image = ImageOps.mirror(image)
    return crop(image, rng) if rng.random() < 0.5 else image


def rotate_quarter(image: Image.Image, rng: random.Random) -> Image.Image:
    return image.rotate(rng.choice([90, 180, 270]), expand=True)


def rotate_slightly(image: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.choice([-1, 1]) * rng.uniform(3, 15)
    w, h = image.size
    turned = image.rotate(angle, resample=Image.Resampling.BICUBIC)
    margin = abs(np.sin(np.radians(angle))) * max(w, h) * 0.6
    return turned.crop((int(margin), int(margin), int(w - margin), int(h - margin)))


def screenshot(image: Image.Image, rng: random.Random) -> Image.Image:
    """The photo as it shows in a chat app on a phone, screenshotted."""
    width, height = rng.choice([(540, 1170), (600, 1300), (720, 1600)])
    dark = rng.random() < 0.5
    screen = Image.new("RGB", (width, height), (17, 17, 17) if dark else (237, 237, 237))
    draw = ImageDraw.Draw(screen)
    ink = (230, 230, 230) if dark else (20, 20, 20)
    draw.text((24, 10), f"{rng.randint(7, 22)}:{rng.randint(0, 59):02d}", font=font(26), fill=ink)
    for k in range(3):  # signal, wifi, battery
        draw.rectangle([width - 130 + 40 * k, 16, width - 104 + 40 * k, 34], outline=ink, width=2)
    draw.rectangle([0, 52, width, 130], fill=(40, 40, 40) if dark else (250, 250, 250))
    draw.text(
        (width // 2 - 70, 72),
        rng.choice(["网格工作群", "相册", "微信", "文件传输助手"]),
        font=font(30),
        fill=ink,
    )
    shown = image.copy()
    shown.thumbnail((width - rng.randint(0, 80), height - 380), Image.Resampling.LANCZOS)
    top = 140 + (height - 380 - shown.size[1]) // 2
    screen.paste(shown, ((width - shown.size[0]) // 2, top))
    draw.rectangle([0, height - 170, width, height], fill=(30, 30, 30) if dark else (247, 247, 247))
    draw.rounded_rectangle([20, height - 150, width - 120, height - 90], 12, outline=ink, width=2)
    draw.text((40, height - 140), "按住 说话", font=font(26), fill=ink)
    draw.rectangle([width // 2 - 80, height - 22, width // 2 + 80, height - 14], fill=ink)
    return screen


def recompress(image: Image.Image, rng: random.Random) -> Image.Image:
    quality = rng.randint(15, 55)
    image = Image.open(io.BytesIO(jpeg(image, quality)))
    return Image.open(io.BytesIO(jpeg(image, rng.randint(30, 70))))


def resize(image: Image.Image, rng: random.Random) -> Image.Image:
    factor = rng.uniform(0.3, 0.6)
    w, h = image.size
    return image.resize((int(w * factor), int(h * factor)), Image.Resampling.BILINEAR)


def colour_shift(image: Image.Image, rng: random.Random) -> Image.Image:
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.6, 1.45))
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.7, 1.3))
    image = ImageEnhance.Color(image).enhance(rng.uniform(0.3, 1.7))
    cast = np.array([rng.uniform(0.8, 1.2) for _ in range(3)])
    return Image.fromarray(np.clip(np.asarray(image) * cast, 0, 255).astype(np.uint8))


def relight(image: Image.Image, rng: random.Random) -> Image.Image:
    """Another day's light: overall gamma and colour, a shadow gradient, sensor noise."""
    pixels = np.asarray(image).astype(float) / 255
    pixels = pixels ** rng.uniform(0.65, 1.5)
    h, w, _ = pixels.shape
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:h, 0:w]
    ramp = (np.cos(angle) * xs / w + np.sin(angle) * ys / h) * rng.uniform(0.1, 0.35)
    pixels = pixels * (1 - ramp[..., None]) * np.array([rng.uniform(0.85, 1.15) for _ in range(3)])
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(2, 7), pixels.shape)
    pixels = pixels * 255 + noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def move_camera(image: Image.Image, rng: random.Random, strength: float = 0.08) -> Image.Image:
    """The same scene from a step to one side: a perspective change, a little zoom."""
    w, h = image.size
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    moved = [
        (x + rng.uniform(-strength, strength) * w, y + rng.uniform(-strength, strength) * h)
        for x, y in corners
    ]
    coefficients = _perspective(moved, corners)
    image = image.transform(
        (w, h), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC
    )
    inset = int(strength * max(w, h))
    return image.crop((inset, inset, w - inset, h - inset))


def _perspective(source, target) -> list[float]:
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    rhs = np.array(source).reshape(8)
    return list(np.linalg.solve(np.array(rows, dtype=float), rhs))


def reshoot(image: Image.Image, rng: random.Random) -> Image.Image:
    image = relight(move_camera(image, rng), rng)
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2)))


def screenshot_of_crop(image: Image.Image, rng: random.Random) -> Image.Image:
    return screenshot(crop(image, rng), rng)


def mirrored_reshoot(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.mirror(reshoot(image, rng))


TRICKS = {
    "crop": crop,
    "mirror": mirror,
    "rotate_90": rotate_quarter,
    "rotate_small": rotate_slightly,
    "screenshot": screenshot,
    "screenshot_of_crop": screenshot_of_crop,
    "recompress": recompress,
    "resize": resize,
    "colour_shift": colour_shift,
    "reshoot": reshoot,
    "mirrored_reshoot": mirrored_reshoot,
}
