"""Routes of the residents' pages."""

from __future__ import annotations

from django.urls import path, register_converter

from . import household_pages as households
from . import views


class RowIdConverter:
    """A primary key that fits a database integer (``<int:…>`` takes any number of digits,
    and a 30-digit one overflows SQLite's INTEGER: a 500 instead of the 404 it is)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "rowid")

urlpatterns = [
    path("visits/<rowid:pk>/undo/", views.undo, name="visit-undo"),
    path("households/", households.household_list, name="households"),
    path("households/new/", households.household_new, name="household-new"),
    path("households/roster/", households.roster_page, name="roster"),
    path("households/roster/template.xlsx", households.roster_template, name="roster-template"),
    path("households/roster/export.xlsx", households.roster_export, name="roster-export"),
    path("households/<rowid:pk>/", households.household_page, name="household"),
    path("households/<rowid:pk>/edit/", households.household_edit, name="household-edit"),
    path("households/<rowid:pk>/move/", households.household_move, name="household-move"),
    path("households/<rowid:pk>/residents/new/", households.resident_new, name="resident-new"),
    path("residents/<rowid:pk>/edit/", households.resident_edit, name="resident-edit"),
    path("residents/<rowid:pk>/left/", households.resident_left, name="resident-left"),
]
