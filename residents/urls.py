"""Routes of the residents' pages."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("households/<int:pk>/visited/", views.visited, name="household-visited"),
    path("visits/<int:pk>/undo/", views.undo, name="visit-undo"),
]
