"""``OrjsonRenderer`` writes what DRF's JSON renderer writes, value for value."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from gridgov.renderers import OrjsonRenderer

TABLE = {
    "start": date(2026, 11, 1),
    "at": datetime(2026, 11, 30, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
    "label": gettext_lazy("Cases filed (立案数)"),
    "amount": Decimal("12.50"),
    "results": [
        {"id": 1, "name": "朝外\u2028街道", "rate": 0.9512, "score": None, "fractions": [39, 41]},
        {"id": 2, "name": "建外", "rate": None, "score": 88.5, "fractions": [0, 0]},
    ],
}


def test_same_values_as_drfs_renderer():
    ours, theirs = OrjsonRenderer().render(TABLE), JSONRenderer().render(TABLE)
    assert json.loads(ours) == json.loads(theirs)
    assert b"\\u2028" in ours and "\u2028".encode() not in ours  # a strict JavaScript subset


def test_pretty_printing_is_left_to_drf():
    assert OrjsonRenderer().render(TABLE, "application/json; indent=4") == JSONRenderer().render(
        TABLE, "application/json; indent=4"
    )
