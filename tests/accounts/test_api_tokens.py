"""API tokens (django-rest-knox): one per device, expiring, stored as a digest, revoked by
logout and logoutall; anonymous calls are told how to authenticate (401 + challenge)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN, LOGOUT, LOGOUT_ALL = "/api/v1/auth/token/", "/api/v1/auth/logout/", "/api/v1/auth/logoutall/"
ME = "/api/v1/me/"
ROOT = Path(__file__).resolve().parents[2]


def sign_in(user, *, format: str | None = None) -> dict:
    response = APIClient().post(
        TOKEN, {"username": user.username, "password": PASSWORD}, format=format
    )
    assert response.status_code == 200, response.content
    return response.json()


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.parametrize("format", [None, "json"])  # a form post and a JSON body
def test_sign_in_gives_a_token_and_when_it_expires(cast, format, settings):
    before = timezone.now()
    body = sign_in(cast.reporter, format=format)
    expiry = parse_datetime(body["expiry"])
    lifetime = timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert settings.API_TOKEN_TTL_DAYS == 30
    assert before + lifetime <= expiry <= timezone.now() + lifetime
    assert with_token(body["token"]).get(ME).json()["username"] == cast.reporter.username


def test_each_sign_in_is_another_device_and_only_a_digest_is_stored(cast):
    phone, tablet = sign_in(cast.reporter)["token"], sign_in(cast.reporter)["token"]
    assert phone != tablet
    assert with_token(phone).get(ME).status_code == 200
    assert with_token(tablet).get(ME).status_code == 200
    stored = AuthToken.objects.filter(user=cast.reporter)
    assert sorted(row.digest for row in stored) == sorted(map(hash_token, (phone, tablet)))
    with connection.cursor() as cursor:  # the whole row, as a database dump would show it
        cursor.execute("SELECT * FROM knox_authtoken")
        cells = [str(value) for row in cursor.fetchall() for value in row]
    assert not any(token in cell for cell in cells for token in (phone, tablet))


def test_the_lifetime_follows_the_setting(cast, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=2)}
    expiry = parse_datetime(sign_in(cast.reporter)["expiry"])
    assert timedelta(days=1, hours=23) < expiry - timezone.now() <= timedelta(days=2)


def _settings_with(**env: str) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; print(settings.REST_KNOX['TOKEN_TTL'].days)"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_lifetime_comes_from_the_environment():
    result = _settings_with(API_TOKEN_TTL_DAYS="7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "7"
    refused = _settings_with(API_TOKEN_TTL_DAYS="0")
    assert refused.returncode != 0
    assert "API_TOKEN_TTL_DAYS" in refused.stderr


def test_an_expired_token_is_refused_and_forgotten(cast):
    token = sign_in(cast.reporter)["token"]
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    response = with_token(token).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not AuthToken.objects.exists()


def test_signing_in_clears_the_users_expired_tokens(cast):
    sign_in(cast.reporter)
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    fresh = sign_in(cast.reporter)["token"]
    assert [row.digest for row in AuthToken.objects.all()] == [hash_token(fresh)]


def test_logout_signs_out_only_the_device_it_is_called_from(cast):
    phone, tablet = sign_in(cast.reporter)["token"], sign_in(cast.reporter)["token"]
    response = with_token(phone).post(LOGOUT)
    assert response.status_code == 204
    assert with_token(phone).get(ME).status_code == 401
    assert with_token(tablet).get(ME).status_code == 200


def test_logoutall_signs_out_every_device_of_the_user_only(cast):
    phone, tablet = sign_in(cast.reporter)["token"], sign_in(cast.reporter)["token"]
    colleague = sign_in(cast.staff)["token"]
    assert with_token(tablet).post(LOGOUT_ALL).status_code == 204
    assert with_token(phone).get(ME).status_code == 401
    assert with_token(tablet).get(ME).status_code == 401
    assert with_token(colleague).get(ME).status_code == 200


def test_logout_needs_a_token(cast):
    assert APIClient().post(LOGOUT).status_code == 401
    session = APIClient()
    session.force_login(cast.reporter)
    assert session.post(LOGOUT_ALL).status_code == 401  # a session has no token to revoke


def test_a_token_sign_in_starts_no_session(cast):
    client = APIClient()
    response = client.post(TOKEN, {"username": cast.reporter.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not Session.objects.exists()
    assert with_token(response.json()["token"]).post(LOGOUT).status_code == 204
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "url", ["/api/v1/cases/", "/api/v1/cells/", "/api/v1/indicators/", ME, LOGOUT_ALL]
)
def test_an_anonymous_call_gets_401_with_a_challenge(db, url):
    response = APIClient().get(url) if url != LOGOUT_ALL else APIClient().post(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_gets_401_with_a_challenge(db):
    response = with_token("not-a-token").get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_pages_fetch_calls_still_sign_in_by_their_session(cast):
    """What static/js fetches with the browser's session: cells (map, report) and the
    dashboard's indicators."""
    session = APIClient()
    session.force_login(cast.staff)
    cells = session.get("/api/v1/cells/")
    assert cells.status_code == 200 and len(cells.json()) == 2
    today = timezone.localdate().isoformat()
    indicators = session.get("/api/v1/indicators/", {"level": "cell", "start": today, "end": today})
    assert indicators.status_code == 200, indicators.content
