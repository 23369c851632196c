"""The key of a request a client may repeat: see ``idempotency.services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """A write a client marked with ``Idempotency-Key``: who sent it, a digest of what they
    sent (method, path and body, photos included), and what it made or changed (a case, a
    visit …) by model label and id, so this app needs none of theirs. A repeat with the same
    key answers with that object instead of writing again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user")
    )
    key = models.UUIDField(_("idempotency key"))
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    # Empty only inside the transaction that does the work (the row is written first, so a
    # racing repeat waits for it).
    target = models.CharField(_("made or changed (model)"), max_length=100, blank=True)
    target_id = models.PositiveBigIntegerField(_("made or changed (id)"), null=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_one_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"
