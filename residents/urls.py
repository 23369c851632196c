"""Routes of the residents' pages."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("visits/<int:pk>/undo/", views.undo, name="visit-undo"),
]
