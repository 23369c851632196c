"""How PostgreSQL keeps the case table: vacuumed after 1 % of its rows changed, not 20 %
(the open cases' visibility map and statistics stay fresh for the dashboard's reads); and
indexed no more than its queries need, since every step and SLA mark rewrites a case's row
and adds an entry to each index that covers it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from cases.models import Case

from .personas import new_case

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's storage settings and indexes"
)


@postgresql_only
def test_the_case_table_is_vacuumed_and_analysed_after_one_percent_of_its_rows_change():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'cases_case'")
        (options,) = cursor.fetchone()
    assert sorted(options or []) == [
        "autovacuum_analyze_scale_factor=0.01",
        "autovacuum_vacuum_scale_factor=0.01",
    ]


def _index_definitions(table: str = "cases_case") -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return [row[0] for row in cursor.fetchall()]


@postgresql_only
@pytest.mark.parametrize(
    "table, column",
    [
        *(
            ("cases_case", column)
            for column in (
                "household_id",
                "resident_id",
                "duplicate_of_id",
                "transfer_to_id",
                "verifier_id",
            )
        ),
        ("workflows_slanotice", "department_id"),  # most notices are the case's own
    ],
)
def test_links_most_rows_lack_are_indexed_only_where_set(table, column):
    """A case with no household, resident, duplicate, transfer or verifier adds no entry to
    those indexes (a 100,000-case SLA minute wrote a fifth less WAL)."""
    leading = [d for d in _index_definitions(table) if f"btree ({column}" in d]
    assert leading, f"no index leads with {column}: its lookups would scan the table"
    for definition in leading:
        assert f"WHERE ({column} IS NOT NULL)" in definition, definition


@postgresql_only
def test_numbers_and_tracking_codes_have_no_prefix_index():
    """Nothing looks a case up by a prefix of its number or tracking code: Django's second
    ``varchar_pattern_ops`` index for each unique text column is not built."""
    assert not [d for d in _index_definitions() if "pattern_ops" in d]


def test_numbers_and_tracking_codes_stay_unique(cast):
    first, second = new_case(cast), new_case(cast)
    assert first.tracking_code is None and second.tracking_code is None  # many may lack one
    coded = new_case(cast, resident=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=second.pk).update(tracking_code=coded.tracking_code)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=second.pk).update(number=first.number)
    assert Case.objects.get(tracking_code=coded.tracking_code) == coded
