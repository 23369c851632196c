"""Routes of the care pages (``/care/``)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "care"

urlpatterns = [
    path("", views.index, name="index"),
    path("residents/<int:resident>/plan/", views.plan_new, name="plan-new"),
    path("tasks/<int:pk>/", views.task_page, name="task"),
    path("volunteer/", views.volunteer, name="volunteer"),
    path("volunteer/<int:pk>/take/", views.take, name="take"),
    path("hours/", views.hours, name="hours"),
    path("ledgers/", views.ledgers, name="ledgers"),
]
