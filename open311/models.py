"""Who may file requests through Open311: an ``Open311Client`` holds an API key (stored as
its SHA-256 only, shown once when issued) and may be limited to some services."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Category

KEY_BYTES = 24


def hash_key(key: str) -> str:
    """The stored form of an API key. A plain SHA-256 suffices: keys are random (192 bits),
    not passwords a person chose, so there is nothing to guess from the hash."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


class Open311Client(models.Model):
    """An app or system that posts service requests (a city app, a 12345 hotline bridge)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(
        _("contact"), max_length=200, blank=True, help_text=_("Who runs it: a person, an email.")
    )
    key_hash = models.CharField(_("key (SHA-256)"), max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    services = models.ManyToManyField(
        Category,
        blank=True,
        related_name="+",
        verbose_name=_("services it may post"),
        help_text=_("Leave empty for every public category."),
        limit_choices_to={"public": True, "parent__isnull": False},
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_key(self, key: str) -> None:
        self.key_hash = hash_key(key)
