"""Photos over the API: the same refusals as the pages (400, field ``photos``), the scoped
URL a client is given, and who may fetch it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import Attachment, Case

from ..cases.images import HTML, camera_jpeg, jpeg, png_144_megapixels, png_bomb, upload
from ..cases.personas import case_in
from .test_case_loop_api import CASES, create_body

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def post_case(client, *photos):
    return client.post(CASES, create_body(photos=list(photos)), format="multipart")


@pytest.mark.parametrize(
    ("photos", "expected"),
    [
        (lambda: [upload(png_bomb(30000, 30000), "bomb.png")], "900 megapixels"),
        (lambda: [upload(png_144_megapixels(), "huge.png")], "144 megapixels"),
        (lambda: [upload(jpeg((64, 48), seed=i)) for i in range(7)], "at most 6 photos"),
        (lambda: [upload(b"just some text", "notes.jpg")], "notes.jpg"),
        (lambda: [upload(HTML, "page.jpg")], "page.jpg"),
        (lambda: [upload(jpeg(comment=HTML), "poly.jpg")], "not part of a picture"),
        (lambda: [upload(jpeg() + HTML, "poly.jpg")], "not part of a picture"),
    ],
)
def test_create_answers_a_bad_photo_with_a_field_error(cast, client_for, photos, expected):
    response = post_case(client_for(cast.reporter), *photos())
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"photos"}
    assert expected in " ".join(response.json()["photos"])
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_create_answers_too_many_bytes_with_a_field_error(cast, client_for, settings):
    settings.PHOTO_MAX_REQUEST_BYTES = MB // 4
    photos = [upload(jpeg((600, 600), seed=i, quality=100), f"p{i}.jpg") for i in range(3)]
    response = post_case(client_for(cast.reporter), *photos)
    assert response.status_code == 400
    assert response.json() == {
        "photos": ["Photos may be at most 0.25 MB together; these are 0.34 MB."]
    }


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(cast, client_for, settings):
    """Past twice the photo limit the request is no phone's report: refused from its
    Content-Length, before its files are parsed or written anywhere."""
    settings.PHOTO_MAX_REQUEST_BYTES = MB // 10
    photos = [upload(jpeg((600, 600), seed=i, quality=100), f"p{i}.jpg") for i in range(4)]
    response = post_case(client_for(cast.reporter), *photos)
    assert response.status_code == 400
    assert response.json() == {
        "photos": ["The request is larger than 0.2 MB: send fewer or smaller photos."]
    }
    assert not Case.objects.exists()


def test_a_transition_answers_a_bad_photo_with_a_field_error(cast, client_for):
    case = case_in(cast, "handling")
    response = client_for(cast.handler).post(
        f"{CASES}{case.pk}/report/",
        {"note": "已补装井盖", "photos": [upload(png_bomb(30000, 30000), "bomb.png")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "900 megapixels" in response.json()["photos"][0]
    assert Case.objects.get(pk=case.pk).status == "handling"


def test_the_api_gives_the_scoped_urls_and_what_the_photo_said(cast, client_for):
    client = client_for(cast.reporter)
    response = post_case(client, upload(camera_jpeg()))
    assert response.status_code == 201, response.json()
    case_id = response.json()["id"]
    (photo,) = client.get(f"{CASES}{case_id}/").json()["photos"]
    attachment = Attachment.objects.get()
    assert photo["url"] == "http://testserver" + reverse(
        "case-photo", args=[case_id, attachment.pk]
    )
    assert photo["thumbnail_url"] == "http://testserver" + reverse(
        "case-photo-thumbnail", args=[case_id, attachment.pk]
    )
    assert "/media/" not in str(photo)
    assert photo["content_type"] == "image/jpeg"
    assert (photo["width"], photo["height"]) == (800, 600)
    assert photo["taken_at"] == "2025-05-01T09:30:00+08:00"
    assert round(photo["taken_lat"], 4) == 39.905 and round(photo["taken_lon"], 4) == 116.405


def test_a_token_client_fetches_the_photo_an_outsider_gets_404_the_anonymous_401(
    cast, client_for, worker_x, staff2
):
    response = post_case(client_for(cast.reporter), upload(jpeg()))
    (photo,) = response.json()["photos"]
    staff = client_for(cast.staff)
    for url in (photo["url"], photo["thumbnail_url"]):
        fetched = staff.get(url)
        assert fetched.status_code == 200 and fetched["Content-Type"] == "image/jpeg"
        assert b"".join(fetched.streaming_content)[:3] == b"\xff\xd8\xff"
        for outsider in (worker_x, staff2):
            assert client_for(outsider).get(url).status_code == 404
        assert APIClient().get(url).status_code == 302  # a browser: to the sign-in page
        bad = APIClient()
        bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
        refused = bad.get(url)
        assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Token")


def test_case_detail_costs_the_same_queries_with_one_photo_or_six(cast, client_for):
    client = client_for(cast.reporter)
    counts = []
    for n in (1, 6):
        response = post_case(client, *[upload(jpeg((64, 48), seed=i)) for i in range(n)])
        assert response.status_code == 201, response.json()
        with CaptureQueriesContext(connection) as queries:
            detail = client.get(f"{CASES}{response.json()['id']}/")
        assert len(detail.json()["photos"]) == n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
