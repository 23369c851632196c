"""Writes a phone may send twice (``Idempotency-Key``, DESIGN §8 "Field work").

A phone with a weak signal cannot tell a lost request from a lost answer, so its offline
queue sends each report (or verification) with a client-made UUID in the ``Idempotency-Key``
header and repeats it until an answer arrives. The first request with a key does the work
and keeps the key with a digest of the request and the case it filed or changed; a repeat
from the same user within ``IDEMPOTENCY_KEY_DAYS`` answers with that case instead of filing
again, and a different request under the same key is refused (409). Keys are per user: two
users' keys never meet. A request that fails (400, 403, 409 of the state) keeps no key, so
the corrected report can be sent again under it.

Two repeats racing each other are serialised by the key's unique row: the second waits for
the first's transaction and then finds its case.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.errors import WorkflowError

from .models import Case, IdempotencyKey

HEADER = "Idempotency-Key"


class KeyReused(WorkflowError):
    """409: the key already filed something else (another body, or another endpoint)."""

    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            _(
                "This Idempotency-Key was already used for a different request; send a new "
                "key for a new request."
            )
        )


def retention_days() -> int:
    return getattr(settings, "IDEMPOTENCY_KEY_DAYS", 7)


def parse_key(value: str | None) -> uuid.UUID | None:
    """The header's UUID, None when absent; ``ValidationError`` on the header if malformed."""
    if value is None:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError as exc:
        raise ValidationError({HEADER: _("Send a UUID, e.g. from crypto.randomUUID().")}) from exc


def _digest_file(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)  # the photo pipeline reads it again
    return digest.hexdigest()


# Fields that change with every repeat of the same request: the phone's clock at sending
# (cases.photos.capture measures its skew from it).
VOLATILE = frozenset({"client_now"})


def fingerprint(method: str, path: str, data) -> str:
    """A digest of what was asked: method, path and every field of the body (a photo by
    the digest of its bytes) but the ``VOLATILE`` ones, independent of the fields' order."""
    lists = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
    body = {
        name: [_digest_file(v) if isinstance(v, UploadedFile) else v for v in values]
        for name, values in lists
        if name not in VOLATILE
    }
    text = json.dumps([method, path, body], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def run_once(
    *, user, key: uuid.UUID, fingerprint: str, perform: Callable[[], Case]
) -> tuple[Case, bool]:
    """``perform()`` once per (user, key): returns ``(case, replayed)``.

    A first request runs ``perform`` in the key's transaction (an error it raises keeps no
    key). A repeat with the same fingerprint returns the case it filed, fresh from the
    database, with ``replayed`` True; with another fingerprint raises ``KeyReused``. A key
    older than ``retention_days()`` counts as new.
    """
    now = timezone.now()
    with transaction.atomic():
        try:
            # Written before the work: a racing repeat blocks on the unique key until this
            # transaction ends, then finds the case (or, if this one failed, does the work).
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user, key=key, fingerprint=fingerprint, created_at=now
                )
        except IntegrityError:
            record = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
            if record.created_at >= now - timedelta(days=retention_days()):
                if record.fingerprint != fingerprint:
                    raise KeyReused() from None
                return Case.objects.get(pk=record.case_id), True
            record.fingerprint, record.created_at = fingerprint, now  # expired: a new key
        record.case = perform()
        record.save()
        return record.case, False
