"""The open-case tally (``OpenCaseTally``): how many cases are open and overdue per street
and deadline day, kept current by PostgreSQL itself, so a district's and a street's
dashboard read a quarter as many rows as a scan of the open cases would.

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

from .models import OpenCaseTally

FUNCTION = "assessment_tally_open_cases"
TABLE = OpenCaseTally._meta.db_table
CASES = Case._meta.db_table
COLUMNS = "street_id, late_day"
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


def _key(alias: str) -> str:
    """The tally key of a case row: its street and, if overdue, the local day its deadline
    passed."""
    return (
        f"{alias}.street_id, CASE WHEN {alias}.overdue AND {alias}.due_at IS NOT NULL "
        f"THEN ({alias}.due_at AT TIME ZONE '{_zone()}')::date END"
    )


def _function_sql() -> str:
    open_new, open_old = _open("c"), _open("o")
    return f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $tally$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {TABLE} ({COLUMNS}, n)
    SELECT {_key("c")}, count(*) FROM new_cases c WHERE {open_new} GROUP BY 1, 2;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO {TABLE} ({COLUMNS}, n)
    SELECT {_key("o")}, -count(*) FROM old_cases o WHERE {open_old} GROUP BY 1, 2;
  ELSE
    INSERT INTO {TABLE} ({COLUMNS}, n)
    SELECT {COLUMNS}, sum(d) FROM (
      SELECT {_key("o")}, -1 FROM old_cases o WHERE {open_old}
      UNION ALL
      SELECT {_key("c")}, 1 FROM new_cases c WHERE {open_new}
    ) AS moved ({COLUMNS}, d)
    GROUP BY 1, 2 HAVING sum(d) <> 0;
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
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"LOCK TABLE {CASES} IN SHARE MODE")
        cursor.execute(_function_sql())
        for name, (event, tables) in _TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {CASES}")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {CASES} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(
            f"INSERT INTO {TABLE} ({COLUMNS}, n) "
            f"SELECT {_key('c')}, count(*) FROM {CASES} c WHERE {_open('c')} GROUP BY 1, 2"
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
    """Fold each key's rows into one (dropping keys that sum to nothing); returns the rows
    removed. Rows of transactions not yet committed are not seen and stay as they are, so
    the sums never change; a second compaction at the same time returns 0 at once."""
    if not maintained(using):
        return 0
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            f"""
            WITH marked AS (
                SELECT ctid AS row, count(*) OVER key AS rows, sum(n) OVER key AS total
                FROM {TABLE} WINDOW key AS (PARTITION BY {COLUMNS})
            ), moved AS (
                DELETE FROM {TABLE}
                WHERE ctid IN (SELECT row FROM marked WHERE rows > 1 OR total = 0)
                RETURNING {COLUMNS}, n
            ), folded AS (
                INSERT INTO {TABLE} ({COLUMNS}, n)
                SELECT {COLUMNS}, sum(n) FROM moved GROUP BY 1, 2 HAVING sum(n) <> 0
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM moved) - (SELECT count(*) FROM folded)
            """
        )
        return cursor.fetchone()[0]
