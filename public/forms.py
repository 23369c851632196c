"""Forms of the resident portal. They parse input; the rules are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import ContactFields, ReportForm
from cases.services import MAX_DESCRIPTION

MAX_PHOTOS = 3


class PublicReportForm(ReportForm, ContactFields):
    """A resident's report: the worker's report form (point, category, one sentence, an
    address) plus how to hear back, and a field only robots fill in."""

    description = forms.CharField(
        label=_("What is wrong? One sentence is enough"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Hidden from people by CSS; a form that comes back with it filled was sent by a robot.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def is_robot(self) -> bool:
        return bool(self.data.get("website"))


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SurveyForm(ContactFields):
    score = forms.TypedChoiceField(
        label=_("How well does your grid worker serve you?"),
        choices=[
            (5, _("5 · very well")),
            (4, _("4 · well")),
            (3, _("3 · so-so")),
            (2, _("2 · poorly")),
            (1, _("1 · very poorly")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
