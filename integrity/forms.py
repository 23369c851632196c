"""The reviewer's form (``integrity.views.review``)."""

from __future__ import annotations

from django import forms


class ReviewForm(forms.Form):
    """The note a review is recorded with, as posted (a NUL byte is a field error, not a 500
    from PostgreSQL); whether one is needed is ``integrity.services``' rule."""

    note = forms.CharField(required=False, strip=True)
