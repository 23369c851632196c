"""Public pages of the assessment (included from ``gridgov.urls`` at ``/satisfaction/``)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [path("<str:token>/", views.rate, name="satisfaction-rate")]
