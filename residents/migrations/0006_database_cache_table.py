"""The table of Django's database cache (``CACHES`` without ``CACHE_URL``/``REDIS_URL``),
which the per-user limit on whole-number searches counts in. Made here so that ``migrate``
alone prepares any installation (``make run``, Docker, tests); with Redis configured
``createcachetable`` has nothing to do. It skips a table that exists, so this is safe to
re-run, and is not undone (the table may serve other caches by then)."""

from __future__ import annotations

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0005_builtin_sensitive_tags"),
    ]

    operations = [
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
