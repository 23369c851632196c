"""Two repeats of one report racing each other (two phones, two tabs): the key's unique row
makes the second wait for the first's transaction and answer with its case. PostgreSQL only
(SQLite serialises every write transaction anyway)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections

from cases.models import Case
from cases.services import create_case
from idempotency.services import run_once

from ..workflows.locking import needs_row_locks
from .personas import POINT_A

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_row_locks]


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def test_the_second_of_two_racing_repeats_waits_and_answers_with_the_first_case(cast):
    key, fingerprint = uuid.uuid4(), "same request"
    first_inside, release = threading.Event(), threading.Event()
    performed: list[str] = []
    results: dict[str, tuple[int, bool]] = {}

    def perform(name: str):
        def file() -> Case:
            performed.append(name)
            case = create_case(
                by=cast.reporter,
                title="井盖丢失",
                description="人行道上水井盖丢失",
                category_code="C0101",
                lon=POINT_A[0],
                lat=POINT_A[1],
            )
            if name == "first":
                first_inside.set()
                assert release.wait(timeout=30)
            return case

        return file

    def phone(name: str) -> None:
        try:
            case, replayed = run_once(
                user=cast.reporter, key=key, fingerprint=fingerprint, perform=perform(name)
            )
            results[name] = (case.pk, replayed)
        finally:
            connections.close_all()

    first = threading.Thread(target=phone, args=("first",))
    first.start()
    assert first_inside.wait(timeout=30)
    second = threading.Thread(target=phone, args=("second",))
    second.start()
    while not _waiting_on_a_lock():  # the second is blocked on the key's row
        second.join(timeout=0.05)
        assert second.is_alive(), "the second repeat did not wait for the first"
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert performed == ["first"]
    assert results["first"][1] is False and results["second"][1] is True
    assert results["first"][0] == results["second"][0]
    assert Case.objects.count() == 1
