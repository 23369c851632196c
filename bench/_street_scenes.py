"""Procedural street photos for the photo-rule bench: what a grid worker photographs.

A *spot* (a street corner, a courtyard) is drawn from a seed: sky and horizon, a row of
buildings whose facades follow a *template* (a housing estate repeats one design), shop signs
with text, trees, poles, and a ground of asphalt, paving or tiles. A *problem* (a rubbish
pile, a broken manhole cover, a pothole, a fly-poster, a fallen branch) is drawn on the
ground from its own seed, so the same spot can be photographed again with a new problem in
it. ``manhole_closeup`` draws the close-up a worker takes of a cover: covers of one design
differ only in wear, dirt, ground and angle.

Images are numpy RGB arrays of ``SIZE`` (width, height); nothing here knows the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SIZE = (960, 720)
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SIGN_WORDS = [
    "便利店",
    "超市",
    "五金建材",
    "理发",
    "药房",
    "早餐",
    "水果",
    "烟酒",
    "快递驿站",
    "修车",
    "社区服务站",
    "中国移动",
    "干洗店",
    "家政服务",
    "粮油",
    "麻辣烫",
    "福利彩票",
    "房产中介",
    "眼镜",
    "牙科诊所",
    "洗车",
    "面馆",
    "花店",
    "文具",
    "打印复印",
    "开锁",
    "茶叶",
    "母婴",
]
COVER_WORDS = ["雨水", "污水", "电力", "通信", "燃气", "给水"]


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:  # no CJK font: signs still carry text-like strokes
        return ImageFont.load_default(size)


def noise_texture(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Grainy texture in [-1, 1]: fine noise over a coarser one (asphalt, render, bark)."""
    h, w = shape
    fine = rng.normal(0, 1, (h, w))
    coarse = rng.normal(0, 1, (max(2, int(h / scale)), max(2, int(w / scale))))
    coarse = np.asarray(
        Image.fromarray(coarse.astype(np.float32)).resize((w, h), Image.Resampling.BICUBIC)
    )
    texture = 0.5 * fine + 0.8 * coarse
    return np.clip(texture / 2.5, -1, 1)


def colour(rng: np.random.Generator, low: int = 40, high: int = 230) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(low, high, 3))


@dataclass(frozen=True)
class Facade:
    """A building design shared by a template's buildings."""

    wall: tuple[int, int, int]
    window: tuple[int, int, int]
    frame: tuple[int, int, int]
    window_w: int
    window_h: int
    gap_x: int
    gap_y: int
    balcony: bool

    @classmethod
    def of(cls, rng: np.random.Generator) -> Facade:
        return cls(
            wall=colour(rng, 90, 240),
            window=colour(rng, 20, 120),
            frame=colour(rng, 150, 255),
            window_w=int(rng.integers(14, 34)),
            window_h=int(rng.integers(16, 40)),
            gap_x=int(rng.integers(10, 30)),
            gap_y=int(rng.integers(12, 30)),
            balcony=bool(rng.random() < 0.5),
        )


def _sky(canvas: np.ndarray, horizon: int, rng: np.random.Generator) -> None:
    top, bottom = np.array(colour(rng, 60, 200)), np.array(colour(rng, 150, 250))
    t = np.linspace(0, 1, horizon)[:, None]
    canvas[:horizon] = (top * (1 - t) + bottom * t)[:, None, :]


def _ground(canvas: np.ndarray, horizon: int, rng: np.random.Generator) -> None:
    h, w, _ = canvas.shape
    base = np.array(colour(rng, 60, 170), dtype=float)
    texture = noise_texture(rng, (h - horizon, w), float(rng.uniform(3, 20)))
    ground = base + texture[..., None] * float(rng.uniform(15, 45))
    kind = int(rng.integers(3))
    ys, xs = np.mgrid[horizon:h, 0:w]
    if kind == 1:  # paving slabs: joints in perspective
        depth = (ys - horizon + 10) / (h - horizon)
        step = int(rng.integers(30, 70))
        joints = ((xs - w / 2) / depth % step < 3) | (ys % max(8, step // 2) < 2)
        ground[joints] *= 0.6
    elif kind == 2:  # a lane marking
        lane = np.abs(xs - w / 2 - (ys - horizon) * float(rng.uniform(-1, 1))) < 6
        ground[lane & (ys % 80 < 50)] = 235
    canvas[horizon:] = np.clip(ground, 0, 255)


def _building(draw: ImageDraw.ImageDraw, box, facade: Facade, rng: np.random.Generator) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=facade.wall)
    y = y0 + facade.gap_y
    while y + facade.window_h < y1 - 20:
        x = x0 + facade.gap_x
        while x + facade.window_w < x1 - 4:
            lit = rng.random() < 0.15
            draw.rectangle(
                [x, y, x + facade.window_w, y + facade.window_h],
                fill=(230, 210, 140) if lit else facade.window,
                outline=facade.frame,
                width=2,
            )
            if facade.balcony:
                draw.line(
                    [x - 3, y + facade.window_h, x + facade.window_w + 3, y + facade.window_h],
                    fill=facade.frame,
                    width=3,
                )
            x += facade.window_w + facade.gap_x
        y += facade.window_h + facade.gap_y


def _sign(draw: ImageDraw.ImageDraw, x: int, y: int, w: int, rng: np.random.Generator) -> None:
    background = colour(rng, 0, 255)
    draw.rectangle([x, y, x + w, y + 34], fill=background, outline=colour(rng), width=2)
    text = str(rng.choice(SIGN_WORDS))
    ink = tuple(255 - c for c in background)
    draw.text((x + 6, y + 3), text, font=font(24), fill=ink)


def _tree(draw: ImageDraw.ImageDraw, x: int, base: int, rng: np.random.Generator) -> None:
    height = int(rng.integers(90, 220))
    draw.rectangle([x - 5, base - height // 2, x + 5, base], fill=(90, 60, 40))
    for _ in range(int(rng.integers(25, 50))):
        cx = x + int(rng.normal(0, height / 5))
        cy = base - height // 2 - int(abs(rng.normal(0, height / 4)))
        r = int(rng.integers(8, 22))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(30, int(rng.integers(90, 170)), 40))


def spot(spot_seed: int, *, template_seed: int | None = None) -> Image.Image:
    """A street spot without a problem in it; ``template_seed`` shares the facade design
    (default: the spot's own)."""
    rng = np.random.default_rng(spot_seed)
    facades = np.random.default_rng(spot_seed if template_seed is None else template_seed)
    designs = [Facade.of(facades) for _ in range(2)]
    w, h = SIZE
    horizon = int(rng.integers(int(h * 0.45), int(h * 0.62)))
    canvas = np.zeros((h, w, 3), dtype=np.float64)
    _sky(canvas, horizon, rng)
    _ground(canvas, horizon, rng)
    image = Image.fromarray(canvas.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    x = int(rng.integers(-60, 10))
    while x < w:
        width = int(rng.integers(150, 380))
        top = int(rng.integers(20, horizon - 80))
        _building(draw, [x, top, x + width, horizon], designs[int(rng.integers(2))], rng)
        if rng.random() < 0.7:
            _sign(draw, x + 10, horizon - 80, min(width - 20, 200), rng)
        x += width + int(rng.integers(0, 40))
    for _ in range(int(rng.integers(1, 4))):
        _tree(draw, int(rng.integers(0, w)), horizon + int(rng.integers(0, 40)), rng)
    for _ in range(int(rng.integers(0, 3))):  # poles and bollards
        px = int(rng.integers(0, w))
        draw.rectangle([px, horizon - 200, px + 6, horizon + 30], fill=colour(rng, 40, 120))
    return image


def rubbish(draw, box, rng) -> None:
    x0, y0, x1, y1 = box
    for _ in range(int(rng.integers(25, 60))):
        cx, cy = int(rng.integers(x0, x1)), int(rng.integers(y0, y1))
        r = int(rng.integers(5, 22))
        points = [(cx + int(rng.integers(-r, r)), cy + int(rng.integers(-r, r))) for _ in range(5)]
        draw.polygon(points, fill=colour(rng, 10, 250), outline=colour(rng, 0, 80))


def cover(draw, box, rng, *, design: int) -> None:
    """A manhole cover of ``design`` (the casting pattern) with this copy's own wear."""
    x0, y0, x1, y1 = box
    cx, cy, r = (x0 + x1) // 2, (y0 + y1) // 2, min(x1 - x0, y1 - y0) // 2
    pattern = np.random.default_rng(design)
    metal = tuple(int(v) for v in pattern.integers(50, 110, 3))
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=metal, outline=(30, 30, 30), width=4)
    step = int(pattern.integers(8, 16))
    for k in range(-r, r, step):  # the casting's grid or rings
        if pattern.random() < 0.5:
            draw.line([cx + k, cy - r + 6, cx + k, cy + r - 6], fill=(35, 35, 35), width=2)
        else:
            draw.ellipse([cx - abs(k), cy - abs(k), cx + abs(k), cy + abs(k)], outline=(40, 40, 40))
    word = COVER_WORDS[design % len(COVER_WORDS)]
    draw.text((cx - r // 3, cy - 12), word, font=font(max(12, r // 5)), fill=(200, 200, 200))
    for _ in range(int(rng.integers(2, 6))):  # cracks and dirt: this cover, not the design
        a, b = rng.integers(-r // 2, r // 2, 2), rng.integers(-r // 2, r // 2, 2)
        draw.line([cx + a[0], cy + a[1], cx + b[0], cy + b[1]], fill=colour(rng, 0, 60), width=3)
        d = int(rng.integers(4, 14))
        dx, dy = (int(v) for v in rng.integers(-r // 2, r // 2, 2))
        draw.ellipse(
            [cx + dx - d, cy + dy - d, cx + dx + d, cy + dy + d], fill=colour(rng, 60, 140)
        )


def pothole(draw, box, rng) -> None:
    x0, y0, x1, y1 = box
    points = []
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    for k in range(14):
        angle = 2 * np.pi * k / 14
        radius = rng.uniform(0.6, 1.0)
        points.append(
            (
                cx + np.cos(angle) * radius * (x1 - x0) / 2,
                cy + np.sin(angle) * radius * (y1 - y0) / 2,
            )
        )
    draw.polygon(points, fill=colour(rng, 20, 60), outline=colour(rng, 80, 120))
    for _ in range(int(rng.integers(10, 30))):
        px, py = int(rng.uniform(x0, x1)), int(rng.uniform(y0, y1))
        draw.rectangle([px, py, px + 4, py + 3], fill=colour(rng, 90, 160))


def poster(draw, box, rng) -> None:
    x0, y0, _x1, y1 = box
    draw.rectangle(box, fill=colour(rng, 150, 255), outline=colour(rng), width=3)
    for row in range(y0 + 6, y1 - 20, 26):
        draw.text(
            (x0 + 6, row), str(rng.choice(SIGN_WORDS)), font=font(20), fill=colour(rng, 0, 90)
        )


def branch(draw, box, rng) -> None:
    x0, y0, x1, y1 = box
    draw.line([x0, y1, x1, y0], fill=(80, 55, 35), width=int(rng.integers(8, 16)))
    for _ in range(int(rng.integers(15, 35))):
        t = rng.random()
        px, py = x0 + t * (x1 - x0), y1 - t * (y1 - y0)
        r = int(rng.integers(6, 16))
        draw.ellipse([px - r, py - r, px + r, py + r], fill=(40, int(rng.integers(100, 180)), 40))


PROBLEMS = ("rubbish", "cover", "pothole", "poster", "branch")


def add_problem(image: Image.Image, problem_seed: int) -> Image.Image:
    """``image`` with a problem drawn on its ground, chosen and placed by ``problem_seed``."""
    rng = np.random.default_rng(problem_seed)
    image = image.copy()
    draw = ImageDraw.Draw(image)
    w, h = image.size
    bw, bh = int(rng.integers(160, 340)), int(rng.integers(90, 180))
    x0, y0 = int(rng.integers(20, w - bw - 20)), int(rng.integers(int(h * 0.62), h - bh - 10))
    box = [x0, y0, x0 + bw, y0 + bh]
    kind = PROBLEMS[int(rng.integers(len(PROBLEMS)))]
    if kind == "cover":
        cover(draw, box, rng, design=int(rng.integers(10**6)))
    elif kind == "poster":
        poster(draw, [x0, y0 - 260, x0 + bw // 2 + 60, y0 - 120], rng)
    else:
        {"rubbish": rubbish, "pothole": pothole, "branch": branch}[kind](draw, box, rng)
    return image


def street_photo(spot_seed: int, problem_seed: int, *, template_seed: int | None = None):
    return add_problem(spot(spot_seed, template_seed=template_seed), problem_seed)


def manhole_closeup(design: int, copy_seed: int) -> Image.Image:
    """A close-up of a cover of ``design``: this copy's ground, wear, position and angle."""
    rng = np.random.default_rng(copy_seed)
    w, h = SIZE
    canvas = np.zeros((h, w, 3))
    base = np.array(colour(rng, 70, 170), dtype=float)
    canvas[:] = base + noise_texture(rng, (h, w), float(rng.uniform(2, 12)))[..., None] * 40
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    r = int(rng.integers(190, 260))
    cx, cy = int(rng.integers(r + 20, w - r - 20)), int(rng.integers(r, h - r))
    cover(draw, [cx - r, cy - r, cx + r, cy + r], rng, design=design)
    for _ in range(int(rng.integers(3, 10))):  # leaves, litter, a kerb's edge
        px, py = int(rng.integers(0, w)), int(rng.integers(0, h))
        d = int(rng.integers(5, 20))
        draw.ellipse([px, py, px + d, py + d // 2], fill=colour(rng))
    return image.rotate(
        float(rng.uniform(0, 360)),
        resample=Image.Resampling.BICUBIC,
        fillcolor=tuple(int(v) for v in base),
    ).filter(ImageFilter.SMOOTH)
