"""Photos are served only through the scoped route ``/cases/<id>/photos/<n>/`` (and its
thumbnail), read through Django's storage API or handed to the web server."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, clear_url_caches, resolve, reverse

from cases.models import Attachment
from cases.services import create_case

from .images import jpeg, upload
from .personas import POINT_A

pytestmark = pytest.mark.django_db


def case_with_photos(cast, n: int = 1):
    return create_case(
        by=cast.reporter,
        title="井盖丢失",
        description="人行道上水井盖丢失",
        category_code="C0101",
        lon=POINT_A[0],
        lat=POINT_A[1],
        photos=[upload(jpeg((800, 600), seed=i), f"p{i}.jpg") for i in range(n)],
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_photo_and_its_thumbnail_are_served_in_scope_from_storage(cast, as_user):
    case = case_with_photos(cast)
    photo = case.attachments.get()
    client = as_user(cast.staff)
    full = client.get(reverse("case-photo", args=[case.pk, photo.pk]))
    thumb = client.get(reverse("case-photo-thumbnail", args=[case.pk, photo.pk]))
    sent = []
    for response, field in ((full, photo.file), (thumb, photo.thumbnail)):
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, max-age=86400"
        sent.append(body(response))
        with field.open("rb") as handle:
            assert sent[-1] == handle.read()
    assert len(sent[1]) < len(sent[0])


def test_lists_show_thumbnails_that_open_the_photo(cast, as_user):
    case = case_with_photos(cast)
    photo = case.attachments.get()
    full = reverse("case-photo", args=[case.pk, photo.pk])
    thumbnail = reverse("case-photo-thumbnail", args=[case.pk, photo.pk])
    client = as_user(cast.staff)
    for page in (reverse("queue"), reverse("case-page", args=[case.pk])):
        html = client.get(page).content.decode()
        assert f'<a href="{full}" target="_blank"><img src="{thumbnail}"' in html, page


def test_outsiders_and_the_signed_out_never_get_a_photo(cast, as_user, client, staff2, worker_x):
    case = case_with_photos(cast)
    photo = case.attachments.get()
    urls = [
        reverse(name, args=[case.pk, photo.pk]) for name in ("case-photo", "case-photo-thumbnail")
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for user in (staff2, worker_x):
        for url in urls:
            assert as_user(user).get(url).status_code == 404
    # Another case's photo under this case's id: not found either.
    other = case_with_photos(cast)
    url = reverse("case-photo", args=[case.pk, other.attachments.get().pk])
    assert as_user(cast.staff).get(url).status_code == 404


def test_a_photo_stored_before_thumbnails_existed_is_its_own_thumbnail(cast, as_user):
    case = case_with_photos(cast)
    name = default_storage.save(f"cases/{case.pk}/old.png", ContentFile(b"\x89PNG old bytes"))
    old = Attachment.objects.create(
        case=case, stage="report", file=name, content_type="image/png", size=14
    )
    response = as_user(cast.staff).get(reverse("case-photo-thumbnail", args=[case.pk, old.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert body(response) == b"\x89PNG old bytes"


def test_photos_work_on_any_storage_backend(cast, as_user, settings):
    """Only the storage API is used (open, exists): an object store works as the disk does."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    case = case_with_photos(cast)
    photo = case.attachments.get()
    assert not (Path(settings.MEDIA_ROOT) / photo.file.name).exists()
    response = as_user(cast.staff).get(reverse("case-photo", args=[case.pk, photo.pk]))
    assert response.status_code == 200 and body(response)[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Accel-Redirect", lambda settings, name: f"/protected-media/{name}"),
        ("X-Sendfile", lambda settings, name: str(Path(settings.MEDIA_ROOT) / name)),
    ],
)
def test_the_web_server_can_send_the_file(cast, as_user, settings, header, value):
    settings.PHOTO_SERVE_HEADER = header
    case = case_with_photos(cast)
    photo = case.attachments.get()
    client = as_user(cast.staff)
    for route, field in (("case-photo", photo.file), ("case-photo-thumbnail", photo.thumbnail)):
        response = client.get(reverse(route, args=[case.pk, photo.pk]))
        assert response.status_code == 200
        assert response[header] == value(settings, field.name)
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, max-age=86400"
        assert response.content == b""  # the web server sends the bytes
    # Still only in scope, and a lost file is 404 from here, not from the web server.
    default_storage.delete(photo.file.name)
    assert client.get(reverse("case-photo", args=[case.pk, photo.pk])).status_code == 404


def test_serving_a_photo_costs_the_same_few_queries_on_a_case_with_many(cast, as_user):
    client = as_user(cast.staff)
    counts = []
    for n in (1, 6):
        case = case_with_photos(cast, n)
        photo = case.attachments.order_by("id").last()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("case-photo-thumbnail", args=[case.pk, photo.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    # session, user, the assignment gate's roles, their assignments for the scope, the photo
    assert counts == [5, 5]


def test_media_files_are_not_public_even_in_debug(settings):
    """``make run`` (DEBUG) once served MEDIA_URL to anyone; now no URL maps to the files."""
    import gridgov.urls

    settings.DEBUG = True
    assert settings.MEDIA_URL == "/media/"
    try:
        importlib.reload(gridgov.urls)
        clear_url_caches()
        with pytest.raises(Resolver404):
            resolve(f"{settings.MEDIA_URL}cases/1/report-1.jpg")
    finally:
        settings.DEBUG = False
        importlib.reload(gridgov.urls)
        clear_url_caches()
