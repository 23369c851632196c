from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

SCORES = [
    (5, _("5 · very satisfied (非常满意)")),
    (4, _("4 · satisfied (满意)")),
    (3, _("3 · neutral (一般)")),
    (2, _("2 · unsatisfied (不满意)")),
    (1, _("1 · very unsatisfied (非常不满意)")),
]


class RatingForm(forms.Form):
    """The reporter's rating of a closed case (满意度评价)."""

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
