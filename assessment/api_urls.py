"""Routes of the assessment under ``/api/v1/`` (included from ``gridgov.urls``)."""

from __future__ import annotations

from django.urls import path

from . import api

urlpatterns = [
    path("indicators/", api.IndicatorListView.as_view(), name="indicator-list"),
    path("indicators/trend/", api.IndicatorTrendView.as_view(), name="indicator-trend"),
    path("indicators/export/", api.IndicatorExportView.as_view(), name="indicator-export"),
    path("indicators/cases/", api.IndicatorCasesView.as_view(), name="indicator-cases"),
    path(
        "satisfaction/callbacks/",
        api.SatisfactionCallbackView.as_view(),
        name="satisfaction-callback",
    ),
]
