"""Routes of the territory app: the base map's local tiles."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("tiles/<int:z>/<int:x>/<int:y>.<str:ext>", views.tile, name="tile"),
]
