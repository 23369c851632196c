"""What residents bring to a case (DESIGN §1 "resident", §8): the reporter's contact, "me too"
supporters and reopen requests.

A resident has no account. A case they file through the portal or Open311, or that street
staff take on the hotline, carries the reporter's contact (``CaseContact``, encrypted, erased
after the retention period) and a tracking code (``Case.tracking_code``) that is the resident's
only key to it: following it, rating it, asking to reopen it.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from residents.fields import EncryptedTextField

from .case import Case

# Tracking codes: 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), so a
# code read out on the phone or copied from an SMS is not mistyped; 31¹⁰ ≈ 8·10¹⁴ codes.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalize_tracking_code(value: str) -> str:
    """A code as typed (any case, spaces or dashes) in its stored form."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


class CaseContact(models.Model):
    """The reporter's contact on a case filed by a resident (portal, Open311) or a caller
    (hotline): how to tell them what became of it. Personal data: encrypted at rest, shown
    only to street staff of the case's street, never on a public page, erased after the
    retention period (``erased_at``)."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="contact"
    )
    name = EncryptedTextField(_("name"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    email = EncryptedTextField(_("email"), blank=True)
    # Keyed hash of the phone (else the email): rate limits and one-answer-per-person rules
    # without the plaintext.
    contact_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("reporter contact (联系方式)")
        verbose_name_plural = _("reporter contacts (联系方式)")

    def __str__(self) -> str:
        return f"{self.case_id}"

    @property
    def reachable(self) -> bool:
        return bool(self.phone or self.email)


class CaseSupporter(models.Model):
    """One "me too" (附议) on a public case: a resident who has the same problem and says so
    instead of filing a duplicate. ``fingerprint`` is a keyed hash of the supporter's device,
    so a person counts once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supporter_rows")
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("supporter (附议)")
        verbose_name_plural = _("supporters (附议)")
        constraints = [
            models.UniqueConstraint(fields=["case", "fingerprint"], name="case_supporter_once")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +1"


class ReopenRequest(models.Model):
    """A resident's "it is not fixed" on a closed case (申请重新处理), within
    ``REOPEN_DAYS`` of closing, once per closing. Street staff decide: reopen (back to the
    department as rework) or decline with a reason the resident is shown."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for street staff")
        REOPENED = "reopened", _("reopened")
        DECLINED = "declined", _("declined")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reopen_requests")
    reason = models.TextField(_("what is still wrong"), max_length=1000)
    closed_at = models.DateTimeField(_("closing it answers"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decline_reason = models.TextField(_("why it was declined"), blank=True, max_length=1000)

    class Meta:
        verbose_name = _("reopen request (重新处理申请)")
        verbose_name_plural = _("reopen requests (重新处理申请)")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "closed_at"], name="reopen_once_per_closing"),
        ]
        indexes = [
            models.Index(fields=["case"], name="reopen_pending", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.status}"
