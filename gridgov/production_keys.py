"""Which keys production refuses: missing, published (the development keys, the examples in
.env.example and the docs) or too weak to guess at.

Imported by settings, so it uses nothing from Django that needs settings.
"""

from __future__ import annotations

import binascii

from cryptography.fernet import Fernet

# Development keys are fixed so a laptop works out of the box; being published here, they
# protect nothing, so production refuses them.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
DEV_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcy1sb25nISE="  # Fernet key (32 bytes, b64)
DEV_PII_HASH_KEY = "dev-only-pii-hash-key"

# Values anyone can read: the development keys and the examples in .env.example and docs.
PUBLISHED = frozenset(
    {
        DEV_SECRET_KEY,
        DEV_PII_KEY,
        DEV_PII_HASH_KEY,
        "change-me",
        "changeme",
        "secret",
        "a-long-random-string",
        "new-key",
        "old-key",
        "build",
    }
)
# Django's own marker of a startproject key (django.core.checks.security.base).
INSECURE_PREFIX = "django-insecure-"

SECRET_KEY_MIN_LENGTH = 50  # as Django's security.W009
PII_HASH_KEY_MIN_LENGTH = 32  # 256 bits of HMAC-SHA256 key as base64 or hex
# A random key of the lengths above, even in hex, has far more different characters than
# this; "s" * 50 or "abab…" has fewer.
MIN_DIFFERENT_CHARACTERS = 8

MAKE_SECRET_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
MAKE_PII_KEY = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)
MAKE_PII_HASH_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def _string_problem(name: str, value: str, *, min_length: int) -> str | None:
    if not value:
        return f"{name} is not set"
    if value in PUBLISHED or value.startswith(INSECURE_PREFIX):
        return f"{name} is a published placeholder, not a secret"
    if len(value) < min_length:
        return f"{name} is too short (length {len(value)}; at least {min_length} characters)"
    if len(set(value)) < MIN_DIFFERENT_CHARACTERS:
        return f"{name} has too few different characters to be a random key"
    return None


def _is_fernet_key(value: str) -> bool:
    try:
        Fernet(value)
    except (ValueError, binascii.Error):
        return False
    return True


def _pii_keys_problem(keys: list[str]) -> str | None:
    if not keys:
        return "PII_ENCRYPTION_KEYS is not set"
    if any(key in PUBLISHED for key in keys):
        # Not even as an older key: what it encrypted is as good as plain text. Re-encrypt
        # with `rotate_pii_keys` outside production mode, then drop it.
        return "PII_ENCRYPTION_KEYS holds a published placeholder, not a secret"
    if not all(_is_fernet_key(key) for key in keys):
        return (
            "PII_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes)"
        )
    return None


def key_problems(
    *, secret_key: str, pii_encryption_keys: list[str], pii_hash_key: str
) -> list[str]:
    """What is wrong with production's keys, one line per variable with how to make a good
    one; empty when all three are fine."""
    checks = (
        (
            _string_problem("SECRET_KEY", secret_key, min_length=SECRET_KEY_MIN_LENGTH),
            MAKE_SECRET_KEY,
        ),
        (_pii_keys_problem(pii_encryption_keys), MAKE_PII_KEY),
        (
            _string_problem("PII_HASH_KEY", pii_hash_key, min_length=PII_HASH_KEY_MIN_LENGTH),
            MAKE_PII_HASH_KEY,
        ),
    )
    return [f"{problem}. Make one with: {how}" for problem, how in checks if problem]
