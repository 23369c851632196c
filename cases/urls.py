"""Routes of the pages (the API's are in ``cases.api.urls``)."""

from __future__ import annotations

from django.urls import path

from .views import actions, bulk, case_page, department, home, pwa, queue, report, visits

urlpatterns = [
    path("", home.home, name="home"),
    path("sw.js", pwa.service_worker, name="pwa-service-worker"),
    path("manifest.webmanifest", pwa.manifest, name="pwa-manifest"),
    path("report/", report.report, name="report"),
    path("hotline/", report.hotline, name="hotline"),
    path("queue/", queue.queue, name="queue"),
    path("queue/bulk/", bulk.queue_bulk, name="queue-bulk"),
    path("department/", department.department, name="department"),
    path("cases/", case_page.case_list, name="case-list"),
    path("cases/<int:pk>/", case_page.case_page, name="case-page"),
    path("cases/<int:pk>/photos/<int:attachment_id>/", case_page.case_photo, name="case-photo"),
    path(
        "cases/<int:pk>/photos/<int:attachment_id>/public/",
        case_page.photo_public,
        name="case-photo-public",
    ),
    path(
        "cases/<int:pk>/photos/<int:attachment_id>/thumbnail/",
        case_page.case_photo,
        {"thumbnail": True},
        name="case-photo-thumbnail",
    ),
    path(
        "cases/<int:pk>/photos/<int:attachment_id>/export/",
        case_page.photo_export,
        name="case-photo-export",
    ),
    path("cases/<int:pk>/act/<str:action>/", actions.case_action, name="case-action"),
    path("households/<int:pk>/visited/", visits.visited, name="household-visited"),
    path("visits/<int:pk>/photo/", visits.visit_photo, name="visit-photo"),
    path(
        "visits/<int:pk>/photo/thumbnail/",
        visits.visit_photo,
        {"thumbnail": True},
        name="visit-photo-thumbnail",
    ),
]
