"""Routes of ``/api/v1/`` (included from ``gridgov.urls``)."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views, visits

router = SimpleRouter()
router.register("cases", views.CaseViewSet, basename="case")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("visits", visits.VisitViewSet, basename="visit")

urlpatterns = [
    path("categories/", views.CategoryListView.as_view(), name="category-list"),
    path("departments/", views.DepartmentListView.as_view(), name="department-list"),
    path("cells/", views.CellListView.as_view(), name="cell-list"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
