"""API fixtures: the case personas (tests/cases/personas.py) and clients signed in by token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from ..cases.personas import (  # noqa: F401  (fixtures are found by name)
    _media_in_tmp,
    _no_cross_check,
    as_user,
    cast,
    other_department,
    other_handler,
    staff2,
    worker_a2,
)

PASSWORD = "pw-for-tests"  # tests/factories.UserFactory's


@pytest.fixture
def client_for(db) -> Callable[..., APIClient]:
    """``client_for(user)``: an APIClient that got its token from ``POST /api/v1/auth/token/``
    and sends ``Authorization: Token …`` on every request."""

    def make(user) -> APIClient:
        client = APIClient()
        response = client.post(
            "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.content
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        return client

    return make
