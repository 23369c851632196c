"""Open311's inputs as forms: they parse the spec's field names; the rules stay in the intake
service (``cases.services.file_case``)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.forms import title_from
from cases.models import Case
from cases.services import MAX_DESCRIPTION, ReporterContact
from public.selectors import PUBLIC_DAYS

MAX_WINDOW = timedelta(days=PUBLIC_DAYS)
STATUSES = ("open", "closed")


def parse_when(text: str, *, end: bool = False) -> datetime:
    """A W3C datetime (``2026-01-01T00:00:00Z``, with or without offset) or a date (its
    start, or its end when ``end``); naive values are in the district's time zone."""
    value = parse_datetime(text)
    if value is None:
        day = parse_date(text)
        if day is None:
            raise ValueError(text)
        value = datetime.combine(day, time.max if end else time.min)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


class _ListField(forms.CharField):
    """A comma-delimited list (the spec's way of giving several values)."""

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [part.strip() for part in text.split(",") if part.strip()]


class _WhenField(forms.CharField):
    def __init__(self, *, end: bool = False, **kwargs) -> None:
        self.end = end
        super().__init__(required=False, **kwargs)

    def to_python(self, value) -> datetime | None:
        text = super().to_python(value).strip()
        if not text:
            return None
        try:
            return parse_when(text, end=self.end)
        except ValueError:
            raise ValidationError(
                gettext_lazy("Give a W3C datetime such as 2026-01-01T00:00:00+08:00.")
            ) from None


class RequestsQuery(forms.Form):
    """``GET requests``: by ids (which overrides everything else), or by services, a window
    of at most 90 days (``start_date``/``end_date``) and ``status``."""

    service_request_id = _ListField(required=False, max_length=4000)
    service_code = _ListField(required=False, max_length=2000)
    start_date = _WhenField()
    end_date = _WhenField(end=True)
    status = _ListField(required=False, max_length=20)

    def clean_status(self) -> list[str]:
        values = self.cleaned_data["status"]
        if set(values) - set(STATUSES):
            raise ValidationError(_("Give open, closed or both."))
        return values

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end:
            if end < start:
                raise ValidationError({"end_date": _("end_date is before start_date.")})
            if end - start > MAX_WINDOW:
                raise ValidationError(
                    {"end_date": _("The window may span at most %(n)d days.") % {"n": PUBLIC_DAYS}}
                )
        return data


ADDRESS_LENGTH = Case._meta.get_field("address").max_length


class ServiceRequestForm(forms.Form):
    """``POST requests``: where (``lat``/``long``, or ``address_string``), what
    (``service_code``, ``description``, a photo), and who to tell (name, phone, email)."""

    service_code = forms.CharField(max_length=16)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    long = forms.FloatField(required=False, min_value=-180, max_value=180)
    address_string = forms.CharField(required=False, max_length=ADDRESS_LENGTH)
    description = forms.CharField(max_length=MAX_DESCRIPTION)
    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=20)
    first_name = forms.CharField(required=False, max_length=16)
    last_name = forms.CharField(required=False, max_length=16)
    media_url = forms.URLField(required=False, max_length=1000, assume_scheme="https")
    media = forms.FileField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        has_point = data.get("lat") is not None and data.get("long") is not None
        if not has_point and not data.get("address_string") and not self.has_error("lat"):
            raise ValidationError(_("Give lat and long, or address_string."))
        return data

    def point(self) -> tuple[float, float] | None:
        data = self.cleaned_data
        if data["lat"] is None or data["long"] is None:
            return None
        return data["long"], data["lat"]

    def contact(self) -> ReporterContact:
        data = self.cleaned_data
        # Chinese order: family name first (王 + 小明), as the portal's one name field has it.
        name = f"{data['last_name']}{data['first_name']}".strip()
        return ReporterContact(name=name, phone=data["phone"], email=data["email"])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": title_from(data["description"]) or data["description"][:40],
            "description": data["description"],
            "category_code": data["service_code"],
            "address": data["address_string"],
        }
