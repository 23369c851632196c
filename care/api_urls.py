"""Routes of ``/api/v1/care/`` (included from ``gridgov.urls``)."""

from __future__ import annotations

from django.urls import path

from . import api

app_name = "care-api"

urlpatterns = [
    path("volunteer-tasks/", api.VolunteerTaskList.as_view(), name="volunteer-tasks"),
    path("volunteer-tasks/<int:pk>/take/", api.TakeVolunteerTask.as_view(), name="take"),
]
