"""Model fields that keep personal data encrypted in the database."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token (see ``crypto``); Python code sees the plaintext.

    Encryption happens in ``get_prep_value``, which ``save()``, ``update()``,
    ``bulk_create()`` and ``bulk_update()`` all go through. ``""`` and ``None`` are stored
    as they are, so "no phone" stays visible to SQL without a key.

    Only ``isnull`` can be queried: Fernet tokens are randomised, so ``exact`` or
    ``contains`` against an encrypted column could never match. Look rows up through the
    keyed-hash column kept beside the field instead.
    """

    description = _("Text encrypted at rest (Fernet)")

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def from_db_value(self, value: str | None, expression, connection) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name: str):
        # Returning None makes Django raise "Unsupported lookup ... for EncryptedTextField",
        # which beats a filter that silently never matches.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)
