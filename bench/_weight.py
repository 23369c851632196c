"""What a page weighs on first load: its HTML, every stylesheet and script it loads and the
JSON it fetches, each gzip-compressed as production serves them (whitenoise's precompressed
static files; HTML and JSON compressed by the front proxy), and uncompressed. Photos aside."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable

from _setup import ROOT
from django.conf import settings
from django.test import Client


def static_file(url: str) -> bytes:
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    return (ROOT / "static" / url.removeprefix(prefix)).read_bytes()


def page_weight(client: Client, url: str, fetches: Iterable[str] = ()) -> tuple[int, int]:
    """``(bytes, gzip bytes)`` of the page at ``url`` with its assets and ``fetches``."""
    html = client.get(url).content
    parts = [html]
    for asset in re.findall(rb'(?:src|href)="(/static/[^"]+\.(?:js|css))"', html):
        parts.append(static_file(asset.decode()))
    for fetch in fetches:
        parts.append(client.get(fetch).content)
    return sum(map(len, parts)), sum(len(gzip.compress(p, 6)) for p in parts)
