"""The open-case tallies, kept current by PostgreSQL itself: ``OpenCaseTally``, how many cases
are open and overdue per street and deadline day, so a district's and a street's dashboard
read a quarter as many rows as a scan of the open cases would; and ``OpenCellTally``, how
many are open and overdue per cell, which the cells' map reads (two rows a cell).

Three statement-level triggers on the case table (after insert, update and delete), with
transition tables, append the change each statement made: per key (the street, the local
day an overdue case's deadline passed), the cases that arrived less those that left. A
statement that changed no open case's key appends nothing. Appending, never updating a
shared row, means two transactions never wait on each other's counter and cannot deadlock
on it; ``compact`` (beat, every minute) folds a key's rows into one.

Whatever writes cases — a transition, the SLA scan's bulk UPDATE, a seed's COPY, retention's
DELETE, a raw SQL fix — is counted, because the database counts it. The deadline's local
day uses ``settings.TIME_ZONE`` as it was when the function was installed; ``install``
(the migration, and ``post_migrate`` when the zone has changed since) recounts from the case
table. SQLite keeps no tally: ``maintained`` is False and the dashboard counts the cases.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, transaction

from cases.models import Case
from cases.models.case import OPEN_STATUS_ORDER

from .models import OpenCaseTally, OpenCellTally

FUNCTION = "assessment_tally_open_cases"
CASES = Case._meta.db_table
# pg_try_advisory_xact_lock key: one compaction at a time.
COMPACT_LOCK = 0x6761_7373_7461_6C79  # "gasstaly"; any constant no other lock uses


def _open(alias: str) -> str:
    statuses = ", ".join(f"'{status}'" for status in OPEN_STATUS_ORDER)
    return f"{alias}.status IN ({statuses})"


def maintained(using: str = "default") -> bool:
    """Whether the database keeps the tally (PostgreSQL)."""
    return connections[using].vendor == "postgresql"


def _zone() -> str:
    zone = str(ZoneInfo(settings.TIME_ZONE))  # refuses a zone PostgreSQL would not know
    return zone.replace("'", "''")


def _street_key(alias: str) -> str:
    """The street tally's key of a case row: its street and, if overdue, the local day its
    deadline passed."""
    return (
        f"{alias}.street_id, CASE WHEN {alias}.overdue AND {alias}.due_at IS NOT NULL "
        f"THEN ({alias}.due_at AT TIME ZONE '{_zone()}')::date END"
    )


def _cell_key(alias: str) -> str:
    """The cell tally's key of a case row: its street, its cell, and whether it is late."""
    return f"{alias}.street_id, {alias}.cell_id, ({alias}.overdue AND {alias}.due_at IS NOT NULL)"


class _Tally:
    """A tally table, its key columns and the SQL of a case row's key (``alias``)."""

    def __init__(self, model, columns: tuple[str, ...], key) -> None:
        self.table = model._meta.db_table
        self.columns = ", ".join(columns)
        self.groups = ", ".join(str(i) for i in range(1, len(columns) + 1))
        self.key = key


TALLIES = (
    _Tally(OpenCaseTally, ("street_id", "late_day"), _street_key),
    _Tally(OpenCellTally, ("street_id", "cell_id", "late"), _cell_key),
)


def _present(using: str) -> list[_Tally]:
    """The tallies whose tables exist: a migration before a tally's own installs the function
    without it."""
    tables = set(connections[using].introspection.table_names())
    return [t for t in TALLIES if t.table in tables]


def _function_sql(tallies: list[_Tally]) -> str:
    open_new, open_old = _open("c"), _open("o")
    inserted = deleted = updated = ""
    for t in tallies:
        inserted += f"""
    INSERT INTO {t.table} ({t.columns}, n)
    SELECT {t.key("c")}, count(*) FROM new_cases c WHERE {open_new} GROUP BY {t.groups};"""
        deleted += f"""
    INSERT INTO {t.table} ({t.columns}, n)
    SELECT {t.key("o")}, -count(*) FROM old_cases o WHERE {open_old} GROUP BY {t.groups};"""
        updated += f"""
    INSERT INTO {t.table} ({t.columns}, n)
    SELECT {t.columns}, sum(d) FROM (
      SELECT {t.key("o")}, -1 FROM old_cases o WHERE {open_old}
      UNION ALL
      SELECT {t.key("c")}, 1 FROM new_cases c WHERE {open_new}
    ) AS moved ({t.columns}, d)
    GROUP BY {t.groups} HAVING sum(d) <> 0;"""
    return f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $tally$
BEGIN
  IF TG_OP = 'INSERT' THEN{inserted}
  ELSIF TG_OP = 'DELETE' THEN{deleted}
  ELSE{updated}
  END IF;
  RETURN NULL;
END
$tally$;
COMMENT ON FUNCTION {FUNCTION}() IS '{_zone()}';
"""


_TRIGGERS = {
    "assessment_tally_insert": ("INSERT", "NEW TABLE AS new_cases"),
    "assessment_tally_update": ("UPDATE", "OLD TABLE AS old_cases NEW TABLE AS new_cases"),
    "assessment_tally_delete": ("DELETE", "OLD TABLE AS old_cases"),
}


def install(using: str = "default") -> None:
    """(Re)create the trigger function for today's ``TIME_ZONE`` and its triggers, and
    recount the tally from the case table — with writes to cases held off meanwhile, so no
    change is counted twice or lost."""
    if not maintained(using):
        return
    tallies = _present(using)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"LOCK TABLE {CASES} IN SHARE MODE")
        cursor.execute(_function_sql(tallies))
        for name, (event, tables) in _TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {CASES}")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {CASES} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
        for t in tallies:
            cursor.execute(f"DELETE FROM {t.table}")
            cursor.execute(
                f"INSERT INTO {t.table} ({t.columns}, n) SELECT {t.key('c')}, count(*) "
                f"FROM {CASES} c WHERE {_open('c')} GROUP BY {t.groups}"
            )


def uninstall(using: str = "default") -> None:
    if not maintained(using):
        return
    with connections[using].cursor() as cursor:
        for name in _TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {CASES}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


def installed_zone(using: str = "default") -> str | None:
    """The time zone the installed function counts deadline days in (None: not installed)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p WHERE p.proname = %s",
            [FUNCTION],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def install_if_stale(using: str = "default", **_kwargs) -> None:
    """``post_migrate``: reinstall and recount when ``TIME_ZONE`` changed since the function
    was installed (its deadline days would be another zone's)."""
    if maintained(using) and installed_zone(using) not in (None, _zone()):
        install(using)


def compact(using: str = "default") -> int:
    """Fold each key's rows into one in each tally (dropping keys that sum to nothing);
    returns the rows removed. Rows of transactions not yet committed are not seen and stay as
    they are, so the sums never change; a second compaction at the same time returns 0 at
    once."""
    if not maintained(using):
        return 0
    removed = 0
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        for t in TALLIES:
            cursor.execute(
                f"""
                WITH marked AS (
                    SELECT ctid AS row, count(*) OVER key AS rows, sum(n) OVER key AS total
                    FROM {t.table} WINDOW key AS (PARTITION BY {t.columns})
                ), moved AS (
                    DELETE FROM {t.table}
                    WHERE ctid IN (SELECT row FROM marked WHERE rows > 1 OR total = 0)
                    RETURNING {t.columns}, n
                ), folded AS (
                    INSERT INTO {t.table} ({t.columns}, n)
                    SELECT {t.columns}, sum(n) FROM moved GROUP BY {t.groups}
                    HAVING sum(n) <> 0
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM moved) - (SELECT count(*) FROM folded)
                """
            )
            removed += cursor.fetchone()[0]
    return removed
