"""Forms that edit personal data without ever rendering it whole."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .masking import shown_birth_year
from .models import Resident
from .validators import birth_date_from_id_number, normalize_cn_phone, validate_id_number
from .visits import fix_from


class ResidentForm(forms.ModelForm):
    """Resident form whose ID number, phone and birth date inputs start empty.

    On change, the masked value (the birth year for the date: the whole date beside the
    masked ID number would give the number away) is shown in the help text and a blank
    input keeps the stored value; on add, the ID number is required. A blank birth date is
    taken from the ID number when one is typed. Errors appear on the field that caused them.
    For those who serve the resident only (the admin shows others a masked view).
    """

    id_number = forms.CharField(label=_("ID number (身份证号)"), max_length=32, required=False)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    clear_phone = forms.BooleanField(label=_("Remove the phone number"), required=False)

    class Meta:
        model = Resident
        fields = [
            "household",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "phone",
            "tags",
            "moved_out_at",
        ]
        widgets = {"tags": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # model_to_dict put the decrypted values in initial; the page must never carry them.
        self.initial["id_number"] = ""
        self.initial["phone"] = ""
        self.initial["birth_date"] = None
        # Derived tags (老年人) follow from the birth date; nobody ticks them. The page names them.
        tags = self.fields["tags"].queryset
        self.fields["tags"].queryset = tags.filter(min_age__isnull=True)
        self.derived_tags = list(tags.filter(min_age__isnull=False).order_by("min_age"))
        self.fields["birth_date"].required = False
        self.fields["birth_date"].help_text = _("Leave blank to take it from the ID number.")
        if self.instance.pk is None:
            self.fields["id_number"].required = True
            return
        self.fields["birth_date"].help_text = _(
            "Born in %(year)s. Leave blank to keep it (or to take it from a new ID number)."
        ) % {"year": shown_birth_year(self.instance.birth_date, today=timezone.localdate())}
        self.fields["id_number"].help_text = _("Now %(masked)s. Leave blank to keep it.") % {
            "masked": self.instance.id_number_masked
        }
        if self.instance.phone:
            self.fields["phone"].help_text = _("Now %(masked)s. Leave blank to keep it.") % {
                "masked": self.instance.phone_masked
            }

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip()
        if not value and self.instance.pk is not None:
            return self.instance.id_number
        return validate_id_number(value)

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not value:
            return self.instance.phone if self.instance.pk is not None else ""
        return normalize_cn_phone(value)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("clear_phone"):
            if self.data.get(self.add_prefix("phone"), "").strip():
                self.add_error("clear_phone", _("Either type a new phone or remove it, not both."))
            cleaned["phone"] = ""
        if not cleaned.get("birth_date"):
            number = cleaned.get("id_number")
            if self.instance.pk is not None and number == self.instance.id_number:
                cleaned["birth_date"] = self.instance.birth_date
            elif number:
                # An invalid number has its own error from clean_id_number already.
                with contextlib.suppress(ValidationError):
                    cleaned["birth_date"] = birth_date_from_id_number(number)
        return cleaned


class RevealReasonForm(forms.Form):
    """Why whole personal data is needed; stored in the access log."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Written to the access log with your name, e.g. 'home visit, case 2041'."),
    )


class VisitForm(forms.Form):
    """A visit's note and the phone's GPS fix (all optional; a fix needs both coordinates)."""

    note = forms.CharField(label=_("note"), max_length=500, required=False)
    lon = forms.FloatField(min_value=-180, max_value=180, required=False)
    lat = forms.FloatField(min_value=-90, max_value=90, required=False)
    accuracy = forms.FloatField(min_value=0, max_value=100_000, required=False)
    fixed_at = forms.DateTimeField(required=False)

    def clean(self) -> dict[str, Any]:
        """Puts the fix (``residents.visits.fix_from``, or None) in ``cleaned_data["fix"]``;
        like the API's serializer, only once every field is valid."""
        data = super().clean()
        if self.errors:
            return data
        try:
            data["fix"] = fix_from(
                lon=data.get("lon"),
                lat=data.get("lat"),
                accuracy=data.get("accuracy"),
                fixed_at=data.get("fixed_at"),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return data
