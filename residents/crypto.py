"""Encryption at rest and keyed hashes for personal data (DESIGN §3).

``settings.PII_ENCRYPTION_KEYS`` is a list of Fernet keys: the first encrypts, all of them
decrypt, so a new key is rolled out by putting it first, running ``rotate_pii_keys`` and then
dropping the old one. ``settings.PII_HASH_KEY`` keys the HMAC that makes exact lookup possible
without storing the plaintext (a bare SHA-256 of an 18-digit ID number is brute-forced in
minutes: the search space is small and structured).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt", "encrypt", "pii_hash", "rotate"]


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    # Cached per key tuple rather than once per process, so override_settings (tests) and a
    # changed setting take effect without a restart hook.
    if not keys:
        raise ImproperlyConfigured("PII_ENCRYPTION_KEYS must hold at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "PII_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes)."
        ) from exc


def _fernet() -> MultiFernet:
    return _multifernet(tuple(settings.PII_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    """Encrypt ``text`` with the current (first) key; returns an ASCII Fernet token."""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token made with any configured key.

    Raises ``InvalidToken`` when no configured key opens it (a key was dropped before
    rotation finished, or the column was written by something else).
    """
    return _fernet().decrypt(token.encode("ascii")).decode("utf-8")


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the current key, keeping its original timestamp.

    Raises ``InvalidToken`` like ``decrypt``.
    """
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def pii_hash(value: str) -> str:
    """HMAC-SHA256 (hex, 64 chars) of ``value`` stripped and upper-cased, keyed by PII_HASH_KEY.

    Callers normalise domain formats first (see ``validators``); this only removes the
    differences that never matter (surrounding blanks, the case of a trailing ``x``).
    """
    key = settings.PII_HASH_KEY
    if not key:
        raise ImproperlyConfigured("PII_HASH_KEY must be set.")
    normalised = value.strip().upper()
    return hmac.new(key.encode("utf-8"), normalised.encode("utf-8"), hashlib.sha256).hexdigest()
