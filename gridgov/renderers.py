"""``OrjsonRenderer``: DRF's JSON renderer on orjson, for the endpoints whose answers are big
tables of plain numbers (the indicator table of 300 communities: Python's ``json`` took a
good part of the request's time).

The bytes parse to the same values as DRF's renderer would give: what orjson does not write
itself (dates and times, decimals, lazy translations) goes through DRF's encoder, and U+2028/
U+2029 are escaped as DRF does. Pretty-printing (``; indent=`` or the browsable API) is left
to DRF.
"""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder


class OrjsonRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        text = orjson.dumps(
            data, default=JSONEncoder().default, option=orjson.OPT_PASSTHROUGH_DATETIME
        )
        return text.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
