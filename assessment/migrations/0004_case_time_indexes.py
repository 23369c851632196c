"""Indexes on the case table that the rollup and today's live counts need: each finds the
cases filed, closed or rejected in a time range, or the open ones, without reading two
million rows (the day's rollup went from seconds of sequential scans to milliseconds; the
backlog count from 450 ms to a few). Partial, so they stay small.

They live here because only the assessment reads cases by these columns; they belong to the
cases table and can move to a cases migration (drop here, create there) without a change of
plan. PostgreSQL only (the partial WHERE clauses); skipped on SQLite, where tables are tiny.
"""

from django.db import migrations

INDEXES = {
    "assessment_case_accepted_at": "(accepted_at) WHERE accepted_at IS NOT NULL",
    "assessment_case_self_resolved": (
        "(created_at) WHERE accepted_at IS NULL AND reported_at IS NOT NULL"
    ),
    "assessment_case_closed_at": "(closed_at) WHERE closed_at IS NOT NULL",
    "assessment_case_rejected_at": "(step_started_at) WHERE status = 'rejected'",
    "assessment_notification_overdue": "(case_id) WHERE kind = 'overdue'",
    # The open cases (the backlog, the overdue-open count), ~4 % of the table: read from this
    # small covering index instead of a scan of every case.
    "assessment_case_open": (
        "(cell_id, street_id, department_id, due_at, overdue) WHERE status IN "
        "('collected', 'accepted', 'dispatched', 'handling', 'suspended', 'feedback')"
    ),
}
TABLES = {"assessment_notification_overdue": "workflows_notification"}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        table = TABLES.get(name, "cases_case")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0003_rollup_schedule"),
        ("cases", "0005_list_indexes"),
        ("workflows", "0003_notification"),
    ]

    operations = [migrations.RunPython(create, drop)]
