"""Sign-in throttling (django-axes): five wrong passwords for one username from one address
lock that pair out for the cool-off, on the sign-in page and the API's token endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F

from ..factories import UserFactory

PASSWORD = "pw-for-tests"
LOGIN, TOKEN = "/accounts/login/", "/api/v1/auth/token/"
HERE, ELSEWHERE = "10.0.0.1", "10.0.0.2"

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker():
    return UserFactory(username="worker_a")


def sign_in(client, username: str, password: str, *, address: str = HERE):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def get_token(client, username: str, password: str, *, address: str = HERE):
    return client.post(TOKEN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_fifth_wrong_password_locks_the_page_for_that_user_from_that_address(
    client, worker, settings
):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = sign_in(client, "worker_a", "wrong")
        assert response.status_code == 200  # the form again, with its error
    response = sign_in(client, "worker_a", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Try again in 15 minutes" in page
    assert 'value="worker_a"' in page  # the form, ready for when the lock lifts
    # Now even the right password is refused from here…
    response = sign_in(client, "worker_a", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # …but not from the worker's own phone, nor for a colleague at this address.
    assert sign_in(client, "worker_a", PASSWORD, address=ELSEWHERE).status_code == 302
    UserFactory(username="worker_b")
    client.logout()
    assert sign_in(client, "worker_b", PASSWORD).status_code == 302


def test_the_token_endpoint_is_locked_alike_and_answers_json(client, worker):
    for _ in range(4):
        response = get_token(client, "worker_a", "wrong")
        assert response.status_code == 400
    response = get_token(client, "worker_a", "wrong")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.json()["detail"]
    assert get_token(client, "worker_a", PASSWORD).status_code == 429
    assert get_token(client, "worker_a", PASSWORD, address=ELSEWHERE).status_code == 200


def test_failures_on_page_and_api_add_up(client, worker):
    for _ in range(3):
        sign_in(client, "worker_a", "wrong")
    get_token(client, "worker_a", "wrong")
    assert get_token(client, "worker_a", "wrong").status_code == 429


def test_a_successful_sign_in_forgets_earlier_failures(client, worker):
    for _ in range(4):
        sign_in(client, "worker_a", "wrong")
    assert get_token(client, "worker_a", PASSWORD).status_code == 200
    for _ in range(4):
        assert get_token(client, "worker_a", "wrong").status_code == 400


def test_the_lock_lifts_after_the_cool_off(client, worker):
    for _ in range(5):
        sign_in(client, "worker_a", "wrong")
    assert sign_in(client, "worker_a", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    assert sign_in(client, "worker_a", PASSWORD).status_code == 302
