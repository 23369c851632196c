"""Writes a phone may send twice (``Idempotency-Key``, DESIGN §8 "Field work").

A phone with a weak signal cannot tell a lost request from a lost answer, so its offline
queue sends each report, visit or verification with a client-made UUID in the
``Idempotency-Key`` header and repeats it until an answer arrives. The first request with a
key does the work and keeps the key with a digest of the request and the object it made or
changed (a case, a visit); a repeat from the same user within ``IDEMPOTENCY_KEY_DAYS``
answers with that object instead of doing it again, and a different request under the same
key is refused (409). Keys are per user: two users' keys never meet. A request that fails
(400, 403, 409 of the state) keeps no key, so the corrected request can be sent again under
it. A repeat whose object is gone since (a visit undone) is a 409 saying so.

Two repeats racing each other are serialised by the key's unique row: the second waits for
the first's transaction and then finds its object.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
M = TypeVar("M", bound=models.Model)


class KeyConflict(Exception):
    """409 (``http_status``, as ``workflows.errors`` has it): the key cannot be replayed."""

    http_status = 409


class KeyReused(KeyConflict):
    """The key already did something else (another body, or another endpoint)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This Idempotency-Key was already used for a different request; send a new "
                "key for a new request."
            )
        )


class ResultGone(KeyConflict):
    """What the key's first request made is gone (e.g. a visit undone since)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "What this request made has been removed since (e.g. a visit undone); send a "
                "new key to do it again."
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
    the digest of its bytes) but the ``VOLATILE`` ones, independent of the fields' order.
    A JSON body that is no object (an array, a string, null) is taken whole: whether the
    endpoint accepts it is the endpoint's to say (a 400), not a reason to fail here."""
    if hasattr(data, "lists"):  # a form or multipart body: a field may come more than once
        lists = data.lists()
    elif isinstance(data, Mapping):
        lists = ((name, [value]) for name, value in data.items())
    else:
        lists = None
    body = data
    if lists is not None:
        body = {
            name: [_digest_file(v) if isinstance(v, UploadedFile) else v for v in values]
            for name, values in lists
            if name not in VOLATILE
        }
    text = json.dumps([method, path, body], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(record: IdempotencyKey) -> models.Model:
    model = apps.get_model(record.target)
    try:
        return model._default_manager.get(pk=record.target_id)
    except model.DoesNotExist:
        raise ResultGone() from None


def run_once(*, user, key: uuid.UUID, fingerprint: str, perform: Callable[[], M]) -> tuple[M, bool]:
    """``perform()`` once per (user, key): returns ``(obj, replayed)``, ``obj`` the model
    instance ``perform`` made or changed.

    A first request runs ``perform`` in the key's transaction (an error it raises keeps no
    key). A repeat with the same fingerprint returns the object it answered with, fresh from
    the database, with ``replayed`` True; with another fingerprint raises ``KeyReused``; if
    that object was deleted since, ``ResultGone``. A key older than ``retention_days()``
    counts as new.
    """
    now = timezone.now()
    with transaction.atomic():
        try:
            # Written before the work: a racing repeat blocks on the unique key until this
            # transaction ends, then finds its object (or, if this one failed, does the work).
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user, key=key, fingerprint=fingerprint, created_at=now
                )
        except IntegrityError:
            record = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
            if record.created_at >= now - timedelta(days=retention_days()):
                if record.fingerprint != fingerprint:
                    raise KeyReused() from None
                return _replay(record), True
            record.fingerprint, record.created_at = fingerprint, now  # expired: a new key
        obj = perform()
        record.target, record.target_id = obj._meta.label_lower, obj.pk
        record.save()
        return obj, False
