"""The reviewer's form (``integrity.views.review``)."""

from __future__ import annotations

from django import forms


class ReviewForm(forms.Form):
    """The note and dismissal reason a review is recorded with, as posted (a NUL byte is a
    field error, not a 500 from PostgreSQL); what they must be is ``integrity.services``'
    rule (``check_review``)."""

    note = forms.CharField(required=False, strip=True)
    reason = forms.CharField(required=False, strip=True)
