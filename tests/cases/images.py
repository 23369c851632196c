"""Test images, made with Pillow (and, for the hostile ones, written byte by byte as an
attacker would): real photos with EXIF, decompression bombs, polyglots."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime
from functools import cache

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageDraw

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def picture(size: tuple[int, int] = (640, 480), seed: int = 1, mode: str = "RGB") -> Image.Image:
    """A photo-like image: a smooth random field with a few shapes."""
    rng = np.random.default_rng(seed)
    field = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    image = Image.fromarray(field).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x = int(rng.integers(0, max(1, size[0] - 20)))
        y = int(rng.integers(0, max(1, size[1] // 2)))
        draw.rectangle([x, y, x + 40, y + 30], tuple(int(v) for v in rng.integers(0, 256, 3)))
    return image.convert(mode)


def encoded(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data: bytes, name: str = "IMG_0001.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def jpeg(size: tuple[int, int] = (640, 480), seed: int = 1, **options) -> bytes:
    return encoded(picture(size, seed), "JPEG", **{"quality": 90, **options})


def camera_exif(
    *,
    taken: str = "2025:05:01 09:30:00",
    offset: str | None = "+08:00",
    lat: tuple[float, float, float] = (39.0, 54.0, 18.0),
    lon: tuple[float, float, float] = (116.0, 24.0, 18.0),
    orientation: int = 1,
) -> Image.Exif:
    """EXIF as a phone camera writes it: maker, model, software, serial, capture time, GPS."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS 5D Mark IV"
    exif[ExifTags.Base.Software] = "Firmware 1.2.3"
    exif[ExifTags.Base.Orientation] = orientation
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = taken
    details[ExifTags.Base.BodySerialNumber] = "SN-0123456789"
    if offset:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = lat
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = lon
    return exif


def camera_jpeg(size: tuple[int, int] = (800, 600), **exif) -> bytes:
    """A JPEG carrying EXIF (camera, serial, GPS, time), an ICC profile and a comment."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return jpeg(size, exif=camera_exif(**exif), icc_profile=icc, comment=b"Shot on holiday")


def exif_with(tags: dict[int, str]) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[tag] = value
    return exif


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@cache
def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A valid 1-bit PNG of ``width``×``height`` black pixels: zeros compress ~1000:1, so
    30000×30000 (900 megapixels, gigabytes once decoded to RGB) is a 109 KB file."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    step = 1000
    parts = [compressor.compress(row * min(step, height - y)) for y in range(0, height, step)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


@cache
def png_144_megapixels() -> bytes:
    """12000×12000 = 144 megapixels: under Pillow's own bomb limit (179 MP), ~700 MB to
    decode to RGB and resize; an 18 KB file."""
    return encoded(Image.new("1", (12000, 12000)), "PNG")


def png_with_text(key: str, text: str) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(key, text)
    return encoded(picture((320, 240)), "PNG", pnginfo=info)


def jpeg_with_trailing_jpeg() -> bytes:
    """A photo followed by a second image (as MPF gain and depth maps are stored)."""
    return jpeg((640, 480)) + jpeg((160, 120), seed=2)


def exif_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y:%m:%d %H:%M:%S")
