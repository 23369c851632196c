"""Does an image file carry anything besides a picture? The polyglot check of the pipeline.

A polyglot is a valid image that is also something else — an HTML page, a script, a PHP
file, an archive — for whatever opens it as the other thing. Re-encoding drops everything
but the pixels anyway; this check answers such an upload with a 400 and a reason instead of
quietly cleaning it.

Searched: the parts of the file that are not pixel data — metadata (EXIF, XMP, ICC,
comments, PNG text chunks, WebP metadata chunks) and whatever follows the image's end
marker — for markup that runs script (HTML tags, PHP, ``javascript:``). A PNG or WebP must
also end where its structure ends: no camera writes anything after it. After a JPEG's end
phones do store more (MPF gain and depth maps, motion-photo video, vendor trailers), so
there only markup is refused. Pixel data is not searched: compressed pixels are
random-looking bytes in which a short tag turns up by chance (a 4-letter one about once in
ten thousand 5 MB files), and no crafted pixel data survives re-encoding.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Tags that run script or load content, PHP, script URLs. Each needs at least five exact
# bytes, so metadata and trailers (kilobytes to a few megabytes) hit by chance about never.
MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|frame|object|embed|svg|img|meta|link"
    rb"|style|form|base|\?php)[\s/>]|javascript:|vbscript:",
    re.IGNORECASE,
)
# In a JPEG's entropy-coded data, 0xFF is followed by 0x00 (a stuffed byte), a restart
# marker (D0–D7) or another 0xFF (fill); anything else is the next marker.
_NEXT_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_PIXEL_CHUNKS = {b"IDAT", b"fdAT", b"VP8 ", b"VP8L", b"ALPH", b"ANMF"}

Parts = tuple[list[bytes], bytes]  # metadata segments, what follows the end


def _jpeg_parts(data: bytes) -> Parts | None:
    segments: list[bytes] = []
    pos, end = 2, len(data)  # after SOI
    while pos + 1 < end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            return segments, data[pos + 2 :]
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        if pos + 4 > end:
            return None
        segment_end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if segment_end > end or segment_end < pos + 4:
            return None
        if marker >= 0xE0 or marker == 0xFE:  # APPn (EXIF, XMP, ICC, MPF …), COM
            segments.append(data[pos + 4 : segment_end])
        pos = segment_end
        if marker == 0xDA:  # SOS: entropy-coded data up to the next marker
            found = _NEXT_JPEG_MARKER.search(data, pos)
            if found is None:
                return None
            pos = found.start()
    return None


def _png_parts(data: bytes) -> Parts | None:
    segments: list[bytes] = []
    pos, end = 8, len(data)  # after the signature
    while pos + 12 <= end:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body_end = pos + 8 + length
        if body_end + 4 > end:
            return None
        if kind not in _PIXEL_CHUNKS:
            segments.append(data[pos + 8 : body_end])
        pos = body_end + 4  # after the CRC
        if kind == b"IEND":
            return segments, data[pos:]
    return None


def _webp_parts(data: bytes) -> Parts | None:
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if riff_end > len(data):
        return None
    segments: list[bytes] = []
    pos = 12  # after "RIFF" size "WEBP"
    while pos + 8 <= riff_end:
        kind = data[pos : pos + 4]
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        body_end = pos + 8 + length
        if body_end > riff_end:
            return None
        if kind not in _PIXEL_CHUNKS:
            segments.append(data[pos + 8 : body_end])
        pos = body_end + (length & 1)  # chunks are padded to an even length
    return segments, data[riff_end:]


_PARTS: dict[str, Callable[[bytes], Parts | None]] = {
    "JPEG": _jpeg_parts,
    "PNG": _png_parts,
    "WEBP": _webp_parts,
}


def has_markup(*texts: bytes | str) -> bool:
    return any(
        MARKUP.search(text.encode("utf-8", "replace") if isinstance(text, str) else text)
        for text in texts
    )


def carries_more_than_a_picture(data: bytes, image_format: str) -> bool:
    """True if ``data``, a file of ``image_format`` (JPEG, PNG, WEBP), holds markup outside
    its pixel data, or a PNG or WebP holds anything after its end (NUL padding aside)."""
    parts = _PARTS[image_format](data)
    if parts is None:
        # Its structure cannot be followed to the end: decoding will say whether it is
        # damaged; meanwhile the whole file is searched.
        return has_markup(data)
    segments, trailer = parts
    if image_format != "JPEG" and trailer.strip(b"\x00"):
        return True
    return has_markup(*segments, trailer)
