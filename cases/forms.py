"""HTML forms of the pages. They parse input; every rule stays in the services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from cases.services import ReporterContact, title_from

TITLE_LENGTH = Case._meta.get_field("title").max_length


class ReportForm(forms.Form):
    """The mobile report: one sentence, a category, the GPS point, photos (optional)."""

    description = forms.CharField(
        label=_("What is wrong? One sentence is enough"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    category = forms.CharField(label=_("Category"), max_length=16)
    lon = forms.FloatField(min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(min_value=-90, max_value=90, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Address or landmark (optional)"),
        max_length=Case._meta.get_field("address").max_length,
        required=False,
    )

    def clean(self) -> dict:
        data = super().clean()
        if self.errors.get("lon") or self.errors.get("lat"):
            # The point comes from GPS or a tap on the map, not from typing: say that.
            self.errors.pop("lon", None)
            self.errors.pop("lat", None)
            raise ValidationError(
                {"lon": _("No location yet: allow GPS, or tap your position on the map.")}
            )
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": title_from(data["description"]) or data["description"][:TITLE_LENGTH],
            "description": data["description"],
            "category_code": data["category"],
            "lon": data["lon"],
            "lat": data["lat"],
            "address": data["address"],
        }


class ContactFields(forms.Form):
    """How to reach a resident reporter or a caller (each optional: anonymous reports are
    welcome)."""

    name = forms.CharField(label=_("Name (optional)"), max_length=32, required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    email = forms.CharField(label=_("or email"), max_length=254, required=False)

    def contact(self) -> ReporterContact:
        data = self.cleaned_data
        return ReporterContact(name=data["name"], phone=data["phone"], email=data["email"])


class HotlineForm(ReportForm, ContactFields):
    """A call taken by street staff (热线): the caller's problem, where, and how to reach them."""


# A service's field names that a form shows under another field.
_FORM_FIELD_OF = {"title": "description", "category_code": "category"}


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form: field errors under their fields
    (``title`` under the description it was derived from), the rest (``photos``, which has
    its own input) at the top, named (photo messages name the photo themselves)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        target = _FORM_FIELD_OF.get(field, field)
        if target in form.fields:
            form.add_error(target, errors)
        elif field == "photos":  # the messages name the photo themselves
            form.add_error(None, errors)
        else:
            form.add_error(None, [f"{field}: {message}" for message in errors])
