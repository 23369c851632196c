"""Schemathesis over ``/api/schema/`` as every persona (issue 10, "How it is checked"): for each
operation, requests generated from the schema (valid ones and ones that break it), on random
ids and on a case in the persona's reach, sent through Django's WSGI handler in this test's
transaction. Every answer must be no 5xx, a status code the schema documents for the
operation, the content type it documents and a body that matches its schema.

Deterministic: a fixed seed and a fixed number of examples per operation, mode and id (no
Hypothesis database). The budget goes where input reaches the views: the personas the gate
refuses (anonymous 401, an ended assignment 403) get one valid request per operation, the
others valid requests and schema-breaking ones, on random ids and on a case in their reach.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import issue_api_token

from ..cases.personas import case_in

pytestmark = pytest.mark.django_db

SEED = 20261129
# persona: examples per operation, id and mode (schema-breaking ones too?)
BUDGET = {
    "anonymous": (1, False),
    "former_worker": (1, False),
    "worker_a": (2, True),
    "worker_x": (2, False),
    "volunteer": (2, False),
    "street_staff": (3, True),
    "staff2": (2, False),
    "handler": (3, True),
    "district_admin": (2, True),
}
# Not ``negative_data_rejection``: an empty filter (``?created_before=``) means "no filter",
# as the pages' filter forms send it (django-filter), where the schema says "a date".
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Signing out revokes the persona's token: those operations go last.
LAST = ("/api/v1/auth/logout", "/api/v1/auth/logoutall")
SENT: dict[str, int] = {}


@pytest.fixture(scope="module")
def api_schema():
    """The schema, loaded once from ``/api/schema/`` through Django's WSGI handler (which
    answers in this thread on the test's transaction, as Django's test client does: the
    connection is not closed at each request's end)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _operations(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda operation: operation.path.startswith(LAST))


def _runs(operation, *, reachable: dict, negative: bool):
    """(mode, pinned path parameters) to try: a schema-breaking request needs something left
    to break (a body, a query or a generated id)."""
    has_id = len(operation.path_parameters) > 0
    for pinned in (None, reachable) if has_id else (None,):
        yield GenerationMode.POSITIVE, pinned
        breakable = len(operation.body) or len(operation.query) or (has_id and not pinned)
        if negative and breakable:
            yield GenerationMode.NEGATIVE, pinned


def _fuzz(operation, *, mode, pinned, examples: int, headers: dict) -> int:
    sent = 0

    @seed(SEED)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode, path_parameters=pinned))
    def run(case) -> None:
        nonlocal sent
        sent += 1
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()
    return sent


@pytest.mark.parametrize("persona", BUDGET)
def test_the_api_answers_as_its_schema_says_and_never_5xx(
    persona, request, cast, staff2, worker_x, volunteer, district_admin, former_worker, api_schema
):
    examples, negative = BUDGET[persona]
    started = time.perf_counter()
    reachable = {"id": str(case_in(cast, "handling").pk)}
    headers = {}
    if persona != "anonymous":
        _row, token = issue_api_token(user=request.getfixturevalue(persona))
        headers = {"Authorization": f"Token {token}"}
    sent = 0
    for operation in _operations(api_schema):
        for mode, pinned in _runs(operation, reachable=reachable, negative=negative):
            sent += _fuzz(operation, mode=mode, pinned=pinned, examples=examples, headers=headers)
    SENT[persona] = sent
    print(f"\n{persona}: {sent} requests, 0 failures, {time.perf_counter() - started:.1f} s")
