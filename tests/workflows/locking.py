"""Row locks held by another connection, for tests that a scan skips a locked case
(``SKIP LOCKED``) instead of waiting for it. PostgreSQL only: SQLite has no row locks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections, transaction

from cases.models import Case

needs_row_locks = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="select_for_update is a no-op on SQLite; row locking needs PostgreSQL",
)


@contextmanager
def case_locked_elsewhere(case: Case) -> Iterator[None]:
    """Hold ``SELECT … FOR UPDATE`` on ``case`` in another thread's transaction for the
    block, as a concurrent scan or sweep would."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=case.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(timeout=10), "the other connection never got the lock"
        yield
    finally:
        release.set()
        thread.join(timeout=30)
