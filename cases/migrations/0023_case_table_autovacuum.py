"""Vacuum and analyse the case table once 1 % of its rows changed, not PostgreSQL's default
20 % (400,000 rows of a 2,000,000-case district). Every transition and SLA mark rewrites a
row of the open cases, which clears its page from the visibility map: until a vacuum, the
dashboard's index-only scan of the open cases reads the table instead (measured after one
100,000-case SLA minute over the district: the open-case count 20 → 430 ms, today's counts
5 → 500 ms a query, until ``VACUUM ANALYZE``), and stale statistics pick worse plans."""

from django.db import migrations

OPTIONS = ("autovacuum_vacuum_scale_factor", "autovacuum_analyze_scale_factor")


def tune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        settings = ", ".join(f"{name} = 0.01" for name in OPTIONS)
        schema_editor.execute(f"ALTER TABLE cases_case SET ({settings})")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE cases_case RESET ({', '.join(OPTIONS)})")


class Migration(migrations.Migration):
    dependencies = [("cases", "0022_fk_indexes_led_by_composites")]

    operations = [migrations.RunPython(tune, untune)]
