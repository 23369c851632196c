"""QR codes for the printed posters (segno: pure Python, SVG out)."""

from __future__ import annotations

import segno


def poster_svg(url: str) -> str:
    """An inline SVG QR code of ``url``, sized by its viewBox (the page sets its width);
    error correction Q, so a poster with a scuff or a staple still scans."""
    return segno.make(url, error="q").svg_inline(scale=8, border=2, omitsize=True)
