"""``migrate`` makes the database cache's table (residents migration 0006), so the per-user
search limit works wherever GridGov was migrated, Docker included."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection

pytestmark = pytest.mark.django_db

migration = importlib.import_module("residents.migrations.0006_database_cache_table")


def test_the_migration_makes_the_cache_table_and_is_safe_to_rerun():
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE gridgov_cache")
    assert "gridgov_cache" not in connection.introspection.table_names()
    # The migration reads only the editor's connection (SQLite refuses a real schema editor
    # inside the test's transaction).
    editor = SimpleNamespace(connection=connection)
    migration.create_cache_table(None, editor)
    migration.create_cache_table(None, editor)
    assert "gridgov_cache" in connection.introspection.table_names()
    assert cache.add("probe", 1) and cache.incr("probe") == 2
