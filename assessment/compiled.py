"""Counting queries compiled once per shape and run again with each call's instants.

The dashboard counts today live on every request (``rollups.case_counts``): three queries
with some thirty filtered aggregates, an ``EXISTS`` among them. Building and compiling them was
most of a request's Python (24–30 ms of CPU a request on the demo district, the queries
themselves a few ms), though only the instants ``t0`` and ``t1`` change from one request to
the next. So a query is built once per shape (what it counts, its grouping, its ``where``)
with two marker instants in their place, compiled, and kept; a call binds its own instants
to the markers' positions among the parameters and runs the SQL. The markers are recognised
after the backend's own adaptation (a ``datetime`` for PostgreSQL, a string for SQLite), so
nothing here reads or writes SQL text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator
from datetime import UTC, date, datetime

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import DateTimeField, QuerySet

# Instants no count ever asks about, unlike each other.
MARKERS = (
    datetime(1901, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(1901, 1, 1, 0, 0, 0, 2, tzinfo=UTC),
)


class Compiled:
    """One query's SQL and parameters, with the positions where ``t0`` and ``t1`` go."""

    def __init__(self, query: QuerySet) -> None:
        try:
            self.sql, params = query.query.sql_with_params()
        except EmptyResultSet:  # it can match nothing (``street_id__in=[]``): as the ORM does
            self.sql, params = None, ()
        marks = [_adapted(m) for m in MARKERS]
        self.params = list(params)
        self.slots = [
            (i, marks.index(p)) for i, p in enumerate(self.params) if _is_marker(p, marks)
        ]

    def rows(self, t0: datetime, t1: datetime) -> Iterator[dict]:
        if self.sql is None:
            return
        params = list(self.params)
        bound = (_adapted(t0), _adapted(t1))
        for i, which in self.slots:
            params[i] = bound[which]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                out = dict(zip(names, row, strict=True))
                if isinstance(out.get("k_day"), str):  # SQLite's dates come back as text
                    out["k_day"] = date.fromisoformat(out["k_day"])
                yield out


def _adapted(instant: datetime):
    return DateTimeField().get_db_prep_value(instant, connection)


def _is_marker(param, marks: list) -> bool:
    return type(param) is type(marks[0]) and param in marks


@functools.lru_cache(maxsize=512)
def _compiled(build: Callable[..., QuerySet], args: Hashable, vendor: str, zone: str) -> Compiled:
    return Compiled(build(*MARKERS, *args))


def rows(build: Callable[..., QuerySet], args: tuple, t0: datetime, t1: datetime) -> Iterator[dict]:
    """The rows of ``build(t0, t1, *args)``, as dicts by column alias. ``build`` is a module's
    function and ``args`` (hashable) all it depends on besides the instants: the query is
    built and compiled once per ``(build, args)`` (and database vendor and time zone, which
    a test may change) and kept for the process."""
    return _compiled(build, args, connection.vendor, settings.TIME_ZONE).rows(t0, t1)
