"""Production mode refuses to start without its secrets; development runs on defaults."""

from __future__ import annotations

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
