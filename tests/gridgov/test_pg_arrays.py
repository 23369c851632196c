"""Array literals for bulk statements: what goes in comes back out of PostgreSQL's own array
parser, element for element (quotes, backslashes, braces, commas, blanks, NULL and the word
"NULL" in a string included); a naive datetime is refused rather than read in the server's
zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from gridgov.pg_arrays import array_literal

STRINGS = ["plain", 'a "quoted" word', "back\\slash", "{braces}", "a,b", " padded ", "", "NULL"]
TIMES = [
    datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC),
    datetime(2026, 3, 31, 23, 59, tzinfo=timezone(timedelta(hours=8))),
    None,
]


def test_a_literal_is_one_string_in_array_syntax():
    assert array_literal([1, None, 3]) == "{1,NULL,3}"
    assert array_literal([True, False, None]) == "{t,f,NULL}"
    assert array_literal(['say "hi"']) == '{"say \\"hi\\""}'
    assert array_literal([]) == "{}"


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        array_literal([datetime(2026, 12, 1, 9)])


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's array parser")
@pytest.mark.parametrize(
    "values, cast",
    [
        ([1, -2, None, 2_147_483_647], "integer"),
        ([True, False, None], "boolean"),
        ([0, 1, 2], "smallint"),
        ([*STRINGS, None], "text"),
        (TIMES, "timestamptz"),
    ],
)
def test_postgresql_reads_back_what_went_in(values, cast):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v FROM unnest(%s::{cast}[]) WITH ORDINALITY AS u(v, i) ORDER BY i",
            [array_literal(values)],
        )
        assert [row[0] for row in cursor.fetchall()] == values
