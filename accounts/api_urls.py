"""Routes of ``/api/v1/auth/`` (included from ``gridgov.urls``)."""

from __future__ import annotations

from django.urls import path

from . import api

urlpatterns = [
    path("token/", api.TokenView.as_view(), name="api-token"),
    path("logout/", api.ApiLogoutView.as_view(), name="api-logout"),
    path("logoutall/", api.ApiLogoutAllView.as_view(), name="api-logoutall"),
]
