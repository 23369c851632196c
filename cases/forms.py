"""HTML forms of the pages. They parse input; every rule stays in the services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import Case

TITLE_LENGTH = Case._meta.get_field("title").max_length


def title_from(sentence: str) -> str:
    """A title for a report written as one sentence: its first clause, shortened."""
    first = sentence.strip().splitlines()[0] if sentence.strip() else ""
    for stop in "。！？.!?，,；;":
        first = first.split(stop)[0] or first
    return first[:40]


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
