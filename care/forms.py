"""Forms of the care pages. They check shapes only; the rules are in ``services``."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.selectors import category_choices
from grids.models import Assignment, Role
from residents.models import Resident

from .models import CareKind, Frequency, Responsible, SocialOrganisation
from .selectors import tags_of

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _serving_assignments(resident: Resident) -> Q:
    cell = resident.cell
    return (
        Q(scope="cell", cell=cell)
        | Q(scope="community", community_id=cell.community_id)
        | Q(scope="street", street_id=cell.community.street_id)
    )


class PlanForm(forms.Form):
    tag = forms.ModelChoiceField(queryset=None, label=_("service tag"))
    kind = forms.ChoiceField(choices=CareKind.choices, label=_("what"))
    note = forms.CharField(label=_("details"), max_length=200, required=False)
    responsible = forms.ChoiceField(choices=Responsible.choices, label=_("who"))
    worker = forms.ModelChoiceField(queryset=None, required=False, label=_("worker"))
    organisation = forms.ModelChoiceField(
        queryset=None, required=False, label=_("social organisation")
    )
    frequency = forms.ChoiceField(choices=Frequency.choices, label=_("how often"))
    weekday = forms.TypedChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, empty_value=None, label=_("weekday")
    )
    day_of_month = forms.IntegerField(
        min_value=1, max_value=31, required=False, label=_("day of the month (31: last day)")
    )
    starts_on = forms.DateField(
        label=_("starts on"),
        # ISO, as a date input needs (the zh-hans format would be 2026/11/30: refused).
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )

    def __init__(self, *args, resident: Resident, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags_of(resident)
        workers = Assignment.objects.active().filter(
            _serving_assignments(resident),
            role__in=(Role.GRID_WORKER, Role.FUNCTIONAL_WORKER),
        )
        self.fields["worker"].queryset = get_user_model().objects.filter(
            pk__in=workers.values("user_id")
        )
        self.fields["organisation"].queryset = SocialOrganisation.objects.filter(
            is_active=True, communities=resident.cell.community_id
        )
        self.initial.setdefault("worker", user.pk)
        self.initial.setdefault("starts_on", timezone.localdate())
        self.initial.setdefault("frequency", Frequency.WEEKLY)
        self.initial.setdefault("weekday", timezone.localdate().weekday())

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "tag_id": data["tag"].pk,
            "kind": data["kind"],
            "note": data["note"],
            "responsible": data["responsible"],
            "worker_id": data["worker"].pk if data["worker"] else None,
            "organisation_id": data["organisation"].pk if data["organisation"] else None,
            "frequency": data["frequency"],
            "weekday": data["weekday"],
            "day_of_month": data["day_of_month"],
            "starts_on": data["starts_on"],
        }


class DoneForm(forms.Form):
    """A care task done: a note, a volunteer's hours, and a problem to report (a service
    case linked to the resident)."""

    note = forms.CharField(
        label=_("what was done"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hours = forms.DecimalField(
        label=_("hours"), min_value=0.1, max_value=24, decimal_places=1, required=False
    )
    report = forms.BooleanField(label=_("Report a problem for this resident"), required=False)
    category = forms.ChoiceField(label=_("kind of service"), required=False)
    description = forms.CharField(
        label=_("the problem"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, volunteer: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if volunteer:
            self.fields["hours"].required = True
            for name in ("report", "category", "description"):
                del self.fields[name]
        else:
            del self.fields["hours"]
            self.fields["category"].choices = [("", "—")] + [
                (c.code, f"{c.code} {c.name}") for c in category_choices(family="S")
            ]

    def clean(self):
        data = super().clean()
        if data.get("report"):
            if not data.get("category"):
                self.add_error("category", _("Choose the kind of service."))
            if not (data.get("description") or "").strip():
                self.add_error("description", _("Describe the problem."))
        return data


# The months a period query may name: enough for any record, and far from ``date``'s limits
# (``ledgers.month_bounds`` needs the month after).
FIRST_MONTH, LAST_MONTH = date(2000, 1, 1), date(2099, 12, 1)


class MonthField(forms.Field):
    """``YYYY-MM`` → the month's first day; empty: ``None``."""

    default_error_messages = {
        "invalid": _("Enter a month as YYYY-MM, from %(first)s to %(last)s."),
    }

    def to_python(self, value) -> date | None:
        value = (value or "").strip()
        if not value:
            return None
        try:
            year, month = value.split("-")
            first = date(int(year), int(month), 1) if len(year) == 4 else None
        except ValueError:
            first = None
        if first is None or not FIRST_MONTH <= first <= LAST_MONTH:
            raise forms.ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"first": f"{FIRST_MONTH:%Y-%m}", "last": f"{LAST_MONTH:%Y-%m}"},
            )
        return first


class MonthQuery(forms.Form):
    """A page's period: ``?month=YYYY-MM`` (none: this month)."""

    month = MonthField(required=False, label=_("Month"))

    def the_month(self) -> date:
        return self.cleaned_data["month"] or timezone.localdate().replace(day=1)


# The largest id a query may name (PostgreSQL's integer): a longer number is a 400 here,
# not a database error.
MAX_ID = 2**31 - 1


def _id_field(label) -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, label=label)


class LedgerQuery(MonthQuery):
    """``/care/ledgers/``: the month, the territory (``street`` or ``community``), the
    worker, and ``format=xlsx`` for the workbook. Ids are checked for shape here; whether
    they lie in the reader's scope is ``ledgers.build_ledgers``' question (404)."""

    street = _id_field(_("Street"))
    community = _id_field(_("Community"))
    worker = _id_field(_("Worker"))
    format = forms.ChoiceField(
        choices=[("", _("page")), ("xlsx", "Excel")], required=False, label=_("Format")
    )
