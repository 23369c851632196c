"""How PostgreSQL keeps the case table: vacuumed after 1 % of its rows changed, not 20 %
(the open cases' visibility map and statistics stay fresh for the dashboard's reads)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="autovacuum settings are PostgreSQL's"
    ),
]


def test_the_case_table_is_vacuumed_and_analysed_after_one_percent_of_its_rows_change():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'cases_case'")
        (options,) = cursor.fetchone()
    assert sorted(options or []) == [
        "autovacuum_analyze_scale_factor=0.01",
        "autovacuum_vacuum_scale_factor=0.01",
    ]
