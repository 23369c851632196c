"""Who may file requests through Open311: an ``Open311Client`` holds an API key (stored as
its SHA-256 only, shown once when issued) and may be limited to some services."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
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


class Datatype(models.TextChoices):
    """GeoReport v2's attribute datatypes."""

    STRING = "string", _("string")
    NUMBER = "number", _("number")
    DATETIME = "datetime", _("date and time")
    TEXT = "text", _("text")
    SINGLE = "singlevaluelist", _("one of a list")
    MULTI = "multivaluelist", _("several of a list")


LIST_TYPES = frozenset({Datatype.SINGLE, Datatype.MULTI})


class ServiceAttribute(models.Model):
    """A question an Open311 client asks when a service needs more than a description (the
    service definition's ``attributes``), e.g. what is wrong with a manhole cover. Answers
    are added to the case's description, where street staff read them."""

    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        related_name="open311_attributes",
        verbose_name=_("service (category)"),
        limit_choices_to={"public": True, "parent__isnull": False},
    )
    code = models.SlugField(_("code"), max_length=32)
    description = models.CharField(_("question"), max_length=200)
    datatype = models.CharField(_("datatype"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(
        _("asks for input"), default=True, help_text=_("Off: information shown, not asked.")
    )
    datatype_description = models.CharField(_("how to answer"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    values = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('For list datatypes: [{"key": "missing", "name": "丢失"}, …]'),
    )

    class Meta:
        verbose_name = _("Open311 service attribute")
        verbose_name_plural = _("Open311 service attributes")
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category.code} {self.code}"

    def clean(self) -> None:
        listed = self.datatype in LIST_TYPES
        well_formed = isinstance(self.values, list) and all(
            isinstance(v, dict) and set(v) == {"key", "name"} for v in self.values
        )
        if listed and (not self.values or not well_formed):
            raise ValidationError(
                {"values": _('Give the choices as [{"key": "…", "name": "…"}, …].')}
            )
        if not listed and self.values:
            raise ValidationError({"values": _("Only list datatypes have choices.")})

    def value_names(self) -> dict[str, str]:
        return {str(v["key"]): str(v["name"]) for v in self.values}
