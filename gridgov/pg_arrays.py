"""PostgreSQL array literals for bulk statements (``unnest(%s::integer[], …)``).

psycopg2 sends a Python list as ``ARRAY[1, 2, …]``: an expression of one constant per element,
quoted one by one in Python (while holding the GIL) and parsed one by one by the server. For
the SLA scan's 100,000 cases that was some 2.7 of its 14 seconds. One string in array syntax
(``'{1,2,…}'``), cast by the statement, is built with a single join and read by PostgreSQL's
array parser in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def _element(value) -> str:
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, int):
        return str(int(value))  # an IntegerChoices member too
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"a timezone-aware datetime is required, got {value!r}")
        return value.isoformat()
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def array_literal(values: Iterable) -> str:
    """``values`` (ints, bools, aware datetimes, strings or None) as one array literal, to be
    passed as a parameter and cast in SQL (``%s::timestamptz[]``)."""
    return "{" + ",".join(map(_element, values)) + "}"
