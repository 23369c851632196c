from __future__ import annotations

from django.urls import path

from . import views

app_name = "integrity"

urlpatterns = [
    path("", views.flag_list, name="flags"),
    path("bulk/", views.bulk_review, name="bulk-review"),
    path("<int:pk>/<str:decision>/", views.review, name="review"),
    path("<int:pk>/photos/<int:attachment_id>/", views.flag_photo, name="photo"),
    path(
        "<int:pk>/photos/<int:attachment_id>/thumbnail/",
        views.flag_photo,
        {"thumbnail": True},
        name="photo-thumbnail",
    ),
]
