"""Production mode refuses to start without strong secrets, and Django's deployment checks
pass on its defaults; development runs on built-in keys."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gridgov.production_keys import DEV_PII_KEY, DEV_SECRET_KEY, key_problems

ROOT = Path(__file__).resolve().parents[2]
# The environment variables production settings read for these tests' questions.
SETTINGS_VARIABLES = {
    "SECRET_KEY",
    "PII_ENCRYPTION_KEYS",
    "PII_HASH_KEY",
    "GRIDGOV_ENV",
    "DEBUG",
    "TLS_AT_PROXY",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
}


def good_keys() -> dict[str, str]:
    """Keys made the way the error messages and the README say to make them."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PII_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PII_HASH_KEY": secrets.token_urlsafe(32),
    }


def clean_environment() -> dict[str, str]:
    """This process's environment without the settings asked about, nor the test run's own
    Django switches (tests/web sets DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy refuses)."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in SETTINGS_VARIABLES and not k.startswith("DJANGO_")
    }


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_environment(), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    keys = good_keys()
    del keys["SECRET_KEY"]
    result = _manage("check", GRIDGOV_ENV="production", **keys)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SECRET_KEY", "change-me", "SECRET_KEY is a published placeholder"),
        ("SECRET_KEY", DEV_SECRET_KEY, "SECRET_KEY is a published placeholder"),
        ("PII_ENCRYPTION_KEYS", DEV_PII_KEY, "PII_ENCRYPTION_KEYS holds a published placeholder"),
        ("PII_HASH_KEY", "x", "PII_HASH_KEY is too short"),
    ],
)
def test_production_refuses_weak_or_development_keys(variable, value, says):
    result = _manage("check", GRIDGOV_ENV="production", **{**good_keys(), variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert says in result.stderr
    # ... and says how to make a good one.
    assert "python -c" in result.stderr


def test_production_with_strong_keys_starts():
    result = _manage("check", GRIDGOV_ENV="production", **good_keys())
    assert result.returncode == 0, result.stderr


def test_deployment_checks_pass_on_production_defaults():
    """``check --deploy`` (HSTS, SSL redirect, secure cookies, ...) with nothing but the keys."""
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", GRIDGOV_ENV="production", **good_keys()
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_development_runs_on_defaults():
    assert _manage("check").returncode == 0


# --- the rules themselves ------------------------------------------------------------------


def test_strong_keys_have_no_problems():
    for _ in range(20):  # random keys: no unlucky draw may be refused
        keys = good_keys()
        assert (
            key_problems(
                secret_key=keys["SECRET_KEY"],
                pii_encryption_keys=[keys["PII_ENCRYPTION_KEYS"]],
                pii_hash_key=keys["PII_HASH_KEY"],
            )
            == []
        )
    hex_keys = key_problems(
        secret_key=secrets.token_hex(32),
        pii_encryption_keys=[Fernet.generate_key().decode(), Fernet.generate_key().decode()],
        pii_hash_key=secrets.token_hex(16),
    )
    assert hex_keys == []


@pytest.mark.parametrize(
    ("secret_key", "says"),
    [
        ("", "SECRET_KEY is not set"),
        (secrets.token_urlsafe(30), "SECRET_KEY is too short (length 40; at least 50 characters)"),
        ("s" * 60, "SECRET_KEY has too few different characters"),
        ("ab" * 40, "SECRET_KEY has too few different characters"),
        ("django-insecure-" + secrets.token_urlsafe(50), "SECRET_KEY is a published placeholder"),
        ("change-me", "SECRET_KEY is a published placeholder"),
        (DEV_SECRET_KEY, "SECRET_KEY is a published placeholder"),
    ],
)
def test_weak_secret_keys(secret_key, says):
    keys = good_keys()
    (problem,) = key_problems(
        secret_key=secret_key,
        pii_encryption_keys=[keys["PII_ENCRYPTION_KEYS"]],
        pii_hash_key=keys["PII_HASH_KEY"],
    )
    assert problem.startswith(says)
    assert "secrets.token_urlsafe(50)" in problem


@pytest.mark.parametrize(
    ("pii_keys", "says"),
    [
        ([], "PII_ENCRYPTION_KEYS is not set"),
        (["k"], "PII_ENCRYPTION_KEYS holds a value that is not a Fernet key"),
        ([DEV_PII_KEY], "PII_ENCRYPTION_KEYS holds a published placeholder"),
        # Not even as an older key: what it encrypted is readable by anyone.
        ([Fernet.generate_key().decode(), DEV_PII_KEY], "PII_ENCRYPTION_KEYS holds a published"),
    ],
)
def test_weak_pii_encryption_keys(pii_keys, says):
    keys = good_keys()
    (problem,) = key_problems(
        secret_key=keys["SECRET_KEY"],
        pii_encryption_keys=pii_keys,
        pii_hash_key=keys["PII_HASH_KEY"],
    )
    assert problem.startswith(says)
    assert "Fernet.generate_key()" in problem


@pytest.mark.parametrize(
    ("hash_key", "says"),
    [
        ("", "PII_HASH_KEY is not set"),
        ("h", "PII_HASH_KEY is too short (length 1; at least 32 characters)"),
        (secrets.token_hex(15) + "a", "PII_HASH_KEY is too short (length 31; at least 32"),
        ("x" * 40, "PII_HASH_KEY has too few different characters"),
        ("a-long-random-string", "PII_HASH_KEY is a published placeholder"),
        ("dev-only-pii-hash-key", "PII_HASH_KEY is a published placeholder"),
    ],
)
def test_weak_pii_hash_keys(hash_key, says):
    keys = good_keys()
    (problem,) = key_problems(
        secret_key=keys["SECRET_KEY"],
        pii_encryption_keys=[keys["PII_ENCRYPTION_KEYS"]],
        pii_hash_key=hash_key,
    )
    assert problem.startswith(says)
    assert "secrets.token_urlsafe(32)" in problem


def test_every_problem_is_named_at_once():
    problems = key_problems(secret_key="change-me", pii_encryption_keys=["k"], pii_hash_key="h")
    assert [p.split(" ", 1)[0] for p in problems] == [
        "SECRET_KEY",
        "PII_ENCRYPTION_KEYS",
        "PII_HASH_KEY",
    ]


def _default_cache(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "REDIS_URL"}}
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_shared_cache_is_a_database_table_unless_redis_is_configured():
    """Per-user limits count in the default cache: shared by every process, with no server
    on a laptop, Redis in production."""
    assert _default_cache() == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "gridgov_cache",
    }
    redis = "django.core.cache.backends.redis.RedisCache"
    assert _default_cache(CACHE_URL="redis://cache:6379/2") == {
        "BACKEND": redis,
        "LOCATION": "redis://cache:6379/2",
    }
    assert _default_cache(REDIS_URL="redis://redis:6379/0")["BACKEND"] == redis
