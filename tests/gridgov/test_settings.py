"""Production mode refuses to start without its secrets; development runs on defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "PII_ENCRYPTION_KEYS", "PII_HASH_KEY", "GRIDGOV_ENV"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    result = _check(GRIDGOV_ENV="production", PII_ENCRYPTION_KEYS="k", PII_HASH_KEY="h")
    assert result.returncode != 0
    assert "needs these environment variables: SECRET_KEY" in result.stderr


def test_production_with_its_secrets_starts():
    result = _check(
        GRIDGOV_ENV="production", SECRET_KEY="s" * 50, PII_ENCRYPTION_KEYS="k", PII_HASH_KEY="h"
    )
    assert result.returncode == 0, result.stderr


def test_development_runs_on_defaults():
    assert _check().returncode == 0


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
