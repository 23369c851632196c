"""Local features of a photo (局部特征) and the geometric check between two photos.

A global hash changes when a photo is cropped hard, mirrored, rotated, pasted into a
screenshot or taken again from another spot; the corners and blobs inside it do not. Each
photo is reduced once, when it is fingerprinted, to a compact record (``pack``):

- ORB keypoints (OpenCV: oriented FAST corners with rotation-steered binary descriptors, 32
  bytes each) of the photo scaled to ``WORK_PIXELS`` (and ``MAX_SIDE_PX``), and of its
  mirror image (ORB is invariant to rotation and, through its pyramid, to scale, but not to
  mirroring);
- a small copy (``THUMB_PIXELS``: grey, and the two colour axes of CIELAB) used to ask
  whether what the two photos show is the same or the same place with something new in it
  (a new pile of rubbish can have the grey of the ground it lies on, not its colour).

A screenshot (a photo shown in a chat or an album, with the phone's bars around it) is
reduced to the photo it frames (``frame``), keeping the share of the screen the photo
filled: the bars' text would take keypoints from the photo, and a crop shown in a chat would
be compared with the bars where the rest of the earlier photo lies.

``compare`` matches one photo's descriptors to another's (Lowe's ratio test), fits a
homography with RANSAC (OpenCV's USAC) and counts the matches it explains (inliers):
unrelated photos share a handful by chance, a copy shares dozens to hundreds. It then lays
the earlier photo over the later one with that homography and measures the share of the
overlap whose contents differ: a re-shot copy differs only by light and noise; another
day's photo of a recurring spot (the same wall, a new pile of rubbish) differs where the
problem is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

WORK_PIXELS = 640 * 480  # every photo is scaled to this area: a screenshot's photo stays large
THUMB_PIXELS = 128 * 96
# The longest side of the working copy. The record keeps sizes as 16-bit numbers, and a strip
# 240,000 × 16 px (a panorama, 3.8 megapixels) is still 67,882 px long at ``WORK_PIXELS``:
# scaled down further, it fits, and a strip a pixel or two high has no corners to lose.
MAX_SIDE_PX = 4096
MAX_KEYPOINTS = 256
EDGE_PX = 15  # ORB finds no keypoint this close to an edge
RATIO = 0.8  # Lowe's ratio test: best match clearly better than the second best
RANSAC_PX = 6.0  # reprojection error allowed, in working-size pixels
MIN_MATCHES = 8  # below this a homography means nothing
DIFF_SIGMAS = 0.6  # a pixel differs when its detail differs by this many spreads
# A colour axis with less detail than this (grey levels) in either photo (a grey or faded
# copy) is not compared: there is no colour to tell a change by.
COLOUR_DETAIL_FLOOR = 1.5
BACKGROUND_PX = 16  # light and shading vary over more than this many thumbnail pixels
# A screenshot's frame: bars above and below the photo (or beside it) at least this share of
# the screen high (wide), and outside the photo this share of the pixels flat (no step of
# more than ``FRAME_STEP`` grey levels to a neighbour: plain bars with some text on them).
FRAME_MARGIN = 0.04
FRAME_FLAT = 0.85
FRAME_PLAIN = 0.7  # ... and this share of them in the three commonest bands of 4 grey levels
FRAME_STEP = 3
FRAME_TOLERANCE = 8  # grey levels from the frame's colour still the frame
VERSION = 2  # bump when the record changes: older rows are computed again

_HEADER = np.dtype(
    [("w", "<u2"), ("h", "<u2"), ("n", "<u2"), ("m", "<u2"), ("tw", "<u2"), ("f", "<u2")]
)
_ORB = None
_MATCHER = None


def _orb():
    global _ORB, _MATCHER
    if _ORB is None:
        _ORB = cv2.ORB_create(nfeatures=MAX_KEYPOINTS, edgeThreshold=EDGE_PX, fastThreshold=12)
        _MATCHER = cv2.BFMatcher(cv2.NORM_HAMMING)
    return _ORB


@dataclass(frozen=True)
class Features:
    """One photo's record: keypoint positions and descriptors of the photo and of its
    mirror image, the working size, and the thumbnail."""

    size: tuple[int, int]
    points: np.ndarray  # (n, 2) float32
    descriptors: np.ndarray  # (n, 32) uint8
    mirror_points: np.ndarray
    mirror_descriptors: np.ndarray
    thumb: np.ndarray  # (th, tw, 3) uint8: grey, CIELAB a and b
    framed: float = 1.0  # the share of a screenshot the photo filled (1: not a screenshot)

    @property
    def keypoints(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class Match:
    """How one photo reproduces an earlier one: ``inliers`` matched points that one
    homography explains; ``mirrored``; ``rotation`` in degrees (counter-clockwise, the
    earlier photo turned to the later); ``scale`` of the earlier photo in the later one;
    ``coverage`` the share of the later photo the earlier one covers; ``screenshot`` the
    later photo was cut out of a screenshot (``frame``); ``changed`` the share of the
    overlap whose contents differ."""

    inliers: int
    mirrored: bool
    rotation: int
    scale: float
    coverage: float
    changed: float
    screenshot: bool = False


def _scaled(grey: np.ndarray, pixels: int) -> np.ndarray:
    """``grey`` shrunk to at most ``pixels`` in area and ``MAX_SIDE_PX`` on its longer side."""
    h, w = grey.shape[:2]
    factor = min(math.sqrt(pixels / (w * h)), MAX_SIDE_PX / max(w, h))
    if factor >= 1:
        return grey
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def _detect(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    none = np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
    # Too thin to hold a keypoint away from its edges; and ORB's pyramid would shrink such a
    # strip to nothing, which OpenCV refuses with an error.
    if min(grey.shape) <= 2 * EDGE_PX:
        return none
    keypoints, descriptors = _orb().detectAndCompute(grey, None)
    if descriptors is None:
        return none
    points = np.array([k.pt for k in keypoints], dtype=np.float32)
    return points, descriptors


def _longest_run(mask: np.ndarray) -> tuple[int, int]:
    """[start, end) of the longest run of True in a 1-D mask ((0, 0) if none)."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(starts):
        return 0, 0
    k = int(np.argmax(ends - starts))
    return int(starts[k]), int(ends[k])


def frame(grey: np.ndarray) -> tuple[tuple[int, int, int, int], float] | None:
    """The box (left, top, right, bottom) of the photo inside a screenshot and the share of
    the screen it fills, or None when ``grey`` is not a screenshot.

    The frame's colour is the commonest grey level of the image's edge; the photo is the
    longest run of rows most of whose pixels differ from it, then the longest run of columns
    within those rows. It is a screenshot when the photo has bars on two opposite sides
    (``FRAME_MARGIN``), fills 5–80 % of the image, and the rest is flat (``FRAME_FLAT``) and
    of a few plain colours (``FRAME_PLAIN``): a photo whose sky happens to be one grey has no
    bar below it, and a ground, blurred or not, shades through many greys."""
    h, w = grey.shape
    if min(h, w) < 32:
        return None
    edge = np.concatenate((grey[:3].ravel(), grey[-3:].ravel(), grey[:, :3].ravel(),
                           grey[:, -3:].ravel()))  # fmt: skip
    colour = int(np.bincount(edge, minlength=256).argmax())
    busy = np.abs(grey.astype(np.int16) - colour) > FRAME_TOLERANCE
    y0, y1 = _longest_run(busy.mean(axis=1) > 0.5)
    if y1 == y0:
        return None
    x0, x1 = _longest_run(busy[y0:y1].mean(axis=0) > 0.5)
    share = (y1 - y0) * (x1 - x0) / (h * w)
    barred = (y0 >= FRAME_MARGIN * h and h - y1 >= FRAME_MARGIN * h) or (
        x0 >= FRAME_MARGIN * w and w - x1 >= FRAME_MARGIN * w
    )
    if not (0.05 <= share <= 0.8 and barred):
        return None
    signed = grey.astype(np.int16)
    flat = np.zeros(grey.shape, bool)
    flat[1:, 1:] = (np.abs(np.diff(signed, axis=0))[:, 1:] <= FRAME_STEP) & (
        np.abs(np.diff(signed, axis=1))[1:] <= FRAME_STEP
    )
    outside = np.ones(grey.shape, bool)
    outside[y0:y1, x0:x1] = False
    # Bars are a few plain colours (their text aside); a smooth ground or sky shades through
    # many greys.
    levels = np.sort(np.bincount(grey[outside] // 4, minlength=64))
    if flat[outside].mean() < FRAME_FLAT or levels[-3:].sum() < FRAME_PLAIN * levels.sum():
        return None
    return (x0, y0, x1, y1), share


def extract(image: Image.Image, *, framed: float = 1.0) -> Features:
    """The record of a decoded photo (already turned upright by its EXIF; a screenshot's
    photo already cut out of it, ``framed`` the share of the screen it filled)."""
    grey = _scaled(np.asarray(image.convert("L")), WORK_PIXELS)
    h, w = grey.shape
    # Contrast-limited equalisation: a photo taken in other light keeps its corners.
    equalised = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(grey)
    points, descriptors = _detect(equalised)
    mirror_points, mirror_descriptors = _detect(np.ascontiguousarray(equalised[:, ::-1]))
    small = _scaled(grey, THUMB_PIXELS)
    # The colour axes at exactly the grey copy's size (shrunk once, not twice: rounding
    # would make them differ by a pixel or two).
    colour = cv2.resize(
        np.asarray(image.convert("RGB")), small.shape[::-1], interpolation=cv2.INTER_AREA
    )
    thumb = np.dstack((small, cv2.cvtColor(colour, cv2.COLOR_RGB2LAB)[..., 1:]))
    return Features((w, h), points, descriptors, mirror_points, mirror_descriptors, thumb, framed)


def pack(features: Features) -> bytes:
    tw = features.thumb.shape[1]
    header = np.array(
        [
            (
                *features.size,
                features.keypoints,
                len(features.mirror_points),
                tw,
                round(features.framed * 1000),
            )
        ],
        dtype=_HEADER,
    )
    parts = [
        header.tobytes(),
        features.points.astype("<f4").tobytes(),
        features.descriptors.tobytes(),
        features.mirror_points.astype("<f4").tobytes(),
        features.mirror_descriptors.tobytes(),
        features.thumb.tobytes(),
    ]
    return b"".join(parts)


def unpack(data: bytes) -> Features:
    header = np.frombuffer(data, dtype=_HEADER, count=1)[0]
    w, h, n, m, tw, per_mille = (int(header[k]) for k in ("w", "h", "n", "m", "tw", "f"))
    offset = _HEADER.itemsize

    def take(count: int, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
        nonlocal offset
        array = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape)
        offset += array.nbytes
        return array

    points = take(n * 2, "<f4", (n, 2))
    descriptors = take(n * 32, "u1", (n, 32))
    mirror_points = take(m * 2, "<f4", (m, 2))
    mirror_descriptors = take(m * 32, "u1", (m, 32))
    rest, odd = divmod(len(data) - offset, 3 * tw)
    if odd:
        raise ValueError("a photo record of another format")
    thumb = take(rest * tw * 3, "u1", (rest, tw, 3))
    return Features(
        (w, h), points, descriptors, mirror_points, mirror_descriptors, thumb, per_mille / 1000
    )


def _homography(
    query_points: np.ndarray, query_descriptors: np.ndarray, earlier: Features
) -> tuple[np.ndarray, int] | None:
    """The homography taking ``earlier`` onto the query's points and how many matches it
    explains, or None when there are too few matches to fit one."""
    if len(query_descriptors) < MIN_MATCHES or earlier.keypoints < MIN_MATCHES:
        return None
    _orb()
    pairs = _MATCHER.knnMatch(query_descriptors, earlier.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_MATCHES:
        return None
    source = earlier.points[[g.trainIdx for g in good]]
    target = query_points[[g.queryIdx for g in good]]
    homography, mask = cv2.findHomography(
        source, target, cv2.USAC_DEFAULT, RANSAC_PX, maxIters=2000, confidence=0.999
    )
    if homography is None:
        return None
    determinant = float(np.linalg.det(homography[:2, :2]))
    # A fold or a collapse to a line: a degenerate fit to chance matches, not a photo.
    if not 1 / 64 < determinant < 64:
        return None
    return homography, int(mask.sum())


def _surroundings(image: np.ndarray) -> np.ndarray:
    """``image`` blurred over ``BACKGROUND_PX``: blurred at a quarter of its size and scaled
    back, 13 times cheaper than so wide a kernel at full size. On noisy 128 × 96 thumbnails
    it differs from the full-size blur by one grey level on average, up to 10 beside sharp
    edges; the photo bench's figures did not move (408 of 440 copies, no false flag)."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), BACKGROUND_PX / 4)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).reshape(image.shape)


def _changed_share(later: np.ndarray, earlier: np.ndarray, to_later: np.ndarray) -> tuple:
    """(coverage, changed): the share of ``later`` the warped ``earlier`` covers, and the
    share of that overlap where the two differ by more than light and noise explain, in
    grey or in colour (thumbnails of (h, w, 3): grey, CIELAB a and b)."""
    h, w = later.shape[:2]
    scale = math.sqrt(abs(float(np.linalg.det(to_later[:2, :2]))))
    later = later.astype(np.float32)
    earlier = earlier.astype(np.float32)
    # Compare at the coarser of the two resolutions: a photo shrunk into a screenshot has
    # lost the detail its original still has.
    if scale < 1:
        earlier = cv2.GaussianBlur(earlier, (0, 0), 0.6 / scale)
    elif scale > 1:
        later = cv2.GaussianBlur(later, (0, 0), 0.6 * scale)
    warped = cv2.warpPerspective(earlier, to_later, (w, h), flags=cv2.INTER_LINEAR)
    inside = cv2.warpPerspective(
        np.ones(earlier.shape[:2], np.uint8), to_later, (w, h), flags=cv2.INTER_NEAREST
    )
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8)).astype(bool)
    area = int(inside.sum())
    if area < 0.02 * w * h:
        return area / (w * h), 1.0
    weight = _surroundings(inside.astype(np.float32))
    # A colour filter or other light changes every pixel's colour alike: map the earlier
    # photo's colours to the later's by the affine map that fits the overlap best, and look
    # for what that map leaves different (a new object is a small part of the overlap).
    source = np.hstack((warped[inside], np.ones((area, 1), np.float32)))
    # by its normal equations (4 × 4): a least-squares fit over every pixel costs more than
    # the rest of the comparison
    mapping, *_ = np.linalg.lstsq(source.T @ source, source.T @ later[inside], rcond=None)
    warped = np.dstack((warped, np.ones((h, w), np.float32))) @ mapping

    # Light changes brightness, contrast and shading across a scene: compare each pixel with
    # its wide surroundings (from inside the overlap only: a screenshot's bars must not leak
    # in), both photos' three axes at once.
    both = np.concatenate((later, warped), axis=2) * inside[..., None]
    axes = later.shape[2]
    surroundings = (
        np.concatenate(  # OpenCV resizes at most 4 channels at a time
            (_surroundings(both[..., :axes]), _surroundings(both[..., axes:])), axis=2
        )
        / (weight[..., None] + 1e-6)
    )
    detail = cv2.GaussianBlur(both - surroundings, (0, 0), 1.0)
    # In units of each photo's own spread per axis: light and a colour filter scale it.
    spreads = detail[inside].std(axis=0)
    detail /= spreads + 1e-3
    mine, theirs = detail[..., :axes], np.ascontiguousarray(detail[..., axes:])
    # A pixel differs only if no neighbour of it in the other photo comes close: a re-shot
    # photo's edges land a pixel off, a new object differs over its whole area.
    kernel = np.ones((3, 3), np.uint8)
    difference = np.maximum(mine - cv2.dilate(theirs, kernel), cv2.erode(theirs, kernel) - mine)
    # A colour axis too faint in either photo says nothing (``COLOUR_DETAIL_FLOOR``).
    compared = np.minimum(spreads[:axes], spreads[axes:]) >= COLOUR_DETAIL_FLOOR
    compared[0] = True
    changed = (difference[..., compared] > DIFF_SIGMAS).any(axis=2)
    changed = cv2.morphologyEx((changed & inside).astype(np.uint8), cv2.MORPH_OPEN, kernel)
    return area / (w * h), float(changed.sum()) / area


def compare(later: Features, earlier: Features) -> Match | None:
    """The best geometric match of ``later`` (as taken, or mirrored) onto ``earlier``, or
    None when neither fits a homography."""
    best: tuple[int, bool, np.ndarray] | None = None
    for mirrored, points, descriptors in (
        (False, later.points, later.descriptors),
        (True, later.mirror_points, later.mirror_descriptors),
    ):
        fit = _homography(points, descriptors, earlier)
        if fit and (best is None or fit[1] > best[0]):
            best = (fit[1], mirrored, fit[0])
    if best is None:
        return None
    inliers, mirrored, homography = best
    thumb = later.thumb[:, ::-1] if mirrored else later.thumb
    to_thumb = np.diag([thumb.shape[1] / later.size[0], thumb.shape[0] / later.size[1], 1.0])
    from_thumb = np.diag(
        [earlier.size[0] / earlier.thumb.shape[1], earlier.size[1] / earlier.thumb.shape[0], 1.0]
    )
    coverage, changed = _changed_share(
        np.ascontiguousarray(thumb), earlier.thumb, to_thumb @ homography @ from_thumb
    )
    a, b = homography[0, 0], homography[1, 0]
    return Match(
        inliers=inliers,
        mirrored=mirrored,
        rotation=round(math.degrees(math.atan2(b, a))) % 360,
        scale=round(math.sqrt(abs(float(np.linalg.det(homography[:2, :2])))), 2),
        coverage=round(coverage, 2),
        changed=round(changed, 3),
        screenshot=later.framed < 1,
    )
