"""Requests a client may repeat (``Idempotency-Key``): see ``cases.idempotency``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import Case


class IdempotencyKey(models.Model):
    """A write a client marked with ``Idempotency-Key``: who sent it, a digest of what they
    sent (method, path and body, photos included), and the case it filed or changed. A
    repeat with the same key answers with that case instead of writing again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user")
    )
    key = models.UUIDField(_("idempotency key"))
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    # Empty only inside the transaction that files the case (the row is written first, so a
    # racing repeat waits for it).
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, verbose_name=_("case"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"
