"""Routes of the residents' pages."""

from __future__ import annotations

from django.urls import path

from . import household_pages as households
from . import views

urlpatterns = [
    path("visits/<int:pk>/undo/", views.undo, name="visit-undo"),
    path("households/", households.household_list, name="households"),
    path("households/new/", households.household_new, name="household-new"),
    path("households/roster/", households.roster_page, name="roster"),
    path("households/roster/template.xlsx", households.roster_template, name="roster-template"),
    path("households/roster/export.xlsx", households.roster_export, name="roster-export"),
    path("households/<int:pk>/", households.household_page, name="household"),
    path("households/<int:pk>/edit/", households.household_edit, name="household-edit"),
    path("households/<int:pk>/move/", households.household_move, name="household-move"),
    path("households/<int:pk>/residents/new/", households.resident_new, name="resident-new"),
    path("residents/<int:pk>/edit/", households.resident_edit, name="resident-edit"),
    path("residents/<int:pk>/left/", households.resident_left, name="resident-left"),
]
