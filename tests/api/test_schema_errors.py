"""The OpenAPI schema lists the error answers every operation can give (cases.api.schema), and
the schema itself is valid OpenAPI with no warning."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from workflows.services import SERVICES

PUBLIC = {"/api/v1/auth/token/"}


@pytest.fixture(scope="module")
def operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_documents_its_error_answers(operations):
    assert len(operations) > 30
    for path, method, operation in operations:
        responses = operation["responses"]
        assert {"400", "406", "503"} <= set(responses), (method, path)
        assert "Retry-After" in responses["503"]["headers"]
        if path not in PUBLIC:
            assert {"401", "403"} <= set(responses), (method, path)
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"]
        if "{id}" in path:
            assert "404" in responses, (method, path)
        if method == "post":
            assert "415" in responses, (method, path)
        for code, response in responses.items():
            if code >= "400":
                assert "application/json" in response["content"], (method, path, code)


def test_transitions_document_the_409_body(operations):
    by_id = {op["operationId"]: op for _path, _m, op in operations}
    for action in SERVICES:
        conflict = by_id[f"cases_{action}"]["responses"]["409"]
        schema = conflict["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/TransitionError"}, action


def test_an_unanswerable_accept_header_is_the_documented_406(db):
    response = Client().get("/api/v1/categories/", HTTP_ACCEPT="image/png")
    assert response.status_code in (401, 406)  # the gate may answer first
    response = Client().post("/api/v1/auth/token/", {}, HTTP_ACCEPT="image/png")
    assert response.status_code == 406 and "detail" in response.json()


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "s.yaml")
