"""Routes of the resident portal, under ``/public/``."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.index, name="index"),
    path("report/", views.report, name="report"),
    path("where.json", views.where, name="where"),
    path("area.json", views.area_json, name="area-json"),
    path("track/", views.track_lookup, name="track-lookup"),
    path("track/<str:code>/", views.track, name="track"),
    path("track/<str:code>/photos/<int:attachment_id>/", views.track_photo, name="track-photo"),
    path("map/", views.public_map, name="map"),
    path("map.json", views.map_json, name="map-json"),
    path("photos/<int:attachment_id>/", views.public_photo, name="photo"),
    path("cases/<str:number>/support/", views.support, name="support"),
    path("survey/<str:cell_code>/", views.survey, name="survey"),
    path("survey/<str:cell_code>/poster/", views.poster, name="poster"),
]
