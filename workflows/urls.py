"""Routes of the notification inbox page."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.read_all, name="inbox-read-all"),
    path("inbox/<int:pk>/read/", views.read, name="inbox-read"),
]
