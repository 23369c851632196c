"""The loser of a race whose case left its scope (issue 18, item 4): a handler's step waits for
the case's lock while another step (a return to the street) moves the case out of the
handler's department. The case was in scope when the request came, so the answer is a 409
with the case's new state, not a 404 as if it had never existed. A case that was never in the
user's scope stays a 404, locked or not. PostgreSQL only (SQLite has no row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from workflows import services

from ..cases.personas import case_in
from ..workflows.locking import case_locked_elsewhere, needs_row_locks

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_row_locks]


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def test_a_step_whose_case_left_the_users_scope_while_it_waited_is_a_409(cast, client_for):
    case = case_in(cast, "dispatched")
    phone = client_for(cast.handler)
    returned, release = threading.Event(), threading.Event()

    def return_from_the_desk() -> None:  # the same handler's other device, a moment earlier
        try:
            with transaction.atomic():
                services.return_case(case_id=case.pk, by=cast.handler, reason="非本部门职责")
                returned.set()
                assert release.wait(timeout=30)
        finally:
            connections.close_all()

    answers = []

    def start_on_the_phone() -> None:
        try:
            answers.append(phone.post(f"/api/v1/cases/{case.pk}/start/", {}, format="json"))
        finally:
            connections.close_all()

    desk = threading.Thread(target=return_from_the_desk)
    desk.start()
    assert returned.wait(timeout=30)
    started = threading.Thread(target=start_on_the_phone)
    started.start()
    while not _waiting_on_a_lock():  # the phone's step waits for the desk's lock
        started.join(timeout=0.05)
        assert started.is_alive(), "the phone's step did not wait for the case's lock"
    release.set()
    desk.join(timeout=30)
    started.join(timeout=30)

    (answer,) = answers
    assert answer.status_code == 409, answer.content
    body = answer.json()
    # The new state and nothing more: the case is now the street's, not the handler's.
    assert set(body) == {"detail", "status", "allowed_actions"}
    assert (body["status"], body["allowed_actions"]) == ("accepted", [])
    assert phone.get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_a_case_never_in_scope_is_a_404_even_while_another_step_holds_it(
    cast, client_for, other_handler
):
    case = case_in(cast, "dispatched")  # to cast.department, not other_handler's
    outsider = client_for(other_handler)
    with case_locked_elsewhere(case):
        answer = outsider.post(f"/api/v1/cases/{case.pk}/start/", {}, format="json")
    assert answer.status_code == 404, answer.content
