"""Evidence photos: the capture time, GPS fix and accuracy the phone sends with each photo are
kept (optional: older clients work as before), checked against the server's clock and the
case's place; the strip shows them over the photo and is burnt into exported copies, while
the stored original carries no EXIF."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from cases.models import Attachment, Case
from cases.photos.strip import strip_lines

from ..cases.images import camera_jpeg, jpeg, upload
from ..cases.personas import POINT_A, POINT_B, case_in
from .test_case_loop_api import CASES, create_body

pytestmark = pytest.mark.django_db


def capture(point=POINT_A, *, taken_ago=timedelta(minutes=2), phone_ahead=timedelta(0), acc=9):
    phone_now = timezone.now() + phone_ahead
    return {
        "photo_taken_at": [(phone_now - taken_ago).isoformat()],
        "photo_lon": [str(point[0])],
        "photo_lat": [str(point[1])],
        "photo_accuracy": [str(acc)],
        "client_now": phone_now.isoformat(),
    }


def post(client, **extra):
    body = create_body(photos=[upload(jpeg((320, 240)))], **extra)
    return client.post(CASES, body, format="multipart")


def test_capture_facts_are_kept_and_the_phone_clock_checked(cast, client_for):
    sent = capture(phone_ahead=timedelta(minutes=10))
    response = post(client_for(cast.reporter), **sent)
    assert response.status_code == 201, response.content
    photo = Attachment.objects.get()
    assert 595 <= photo.clock_skew_s <= 605 and photo.clock_off
    # Stored on the server's clock: two minutes ago, not eight minutes ahead.
    assert abs((timezone.now() - photo.capture_at) - timedelta(minutes=2)) < timedelta(seconds=10)
    assert (photo.capture_lon, photo.capture_lat, photo.capture_accuracy_m) == (*POINT_A, 9.0)
    assert photo.capture_cell == cast.territory.cell_a
    assert photo.capture_distance_m == 0 and not photo.is_far
    shown = response.json()["photos"][0]
    assert shown["clock_skew_s"] == photo.clock_skew_s and shown["is_far"] is False


def test_a_photo_taken_far_from_the_case_is_marked(cast, client_for, as_user):
    response = post(client_for(cast.reporter), **capture(POINT_B))
    assert response.status_code == 201
    photo = Attachment.objects.select_related("capture_cell").get()
    assert photo.is_far and 800 < photo.capture_distance_m < 900
    assert photo.capture_cell == cast.territory.cell_b
    lines = strip_lines(photo, by=cast.reporter)
    assert cast.territory.cell_b.full_code in lines[1] and "±9 m" in lines[1]
    assert any("m from the case" in line for line in lines)
    page = as_user(cast.reporter).get(f"/cases/{photo.case_id}/").content.decode()
    assert 'class="photo far"' in page and "m from the case" in page


def test_clients_that_send_no_capture_facts_work_as_before(cast, client_for):
    assert post(client_for(cast.reporter)).status_code == 201
    photo = Attachment.objects.get()
    assert not photo.has_capture and not photo.is_far and not photo.clock_off


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"photo_lon": ["east"], "photo_lat": ["39.9"]}, "photo_lon"),
        ({"photo_lon": ["116.4"]}, "photo_lat"),
        ({"photo_taken_at": ["last tuesday"]}, "photo_taken_at"),
        (
            {"photo_accuracy": ["-1"], "photo_lon": ["116.4"], "photo_lat": ["39.9"]},
            "photo_accuracy",
        ),
        ({"client_now": "soon"}, "client_now"),
    ],
)
def test_bad_capture_facts_are_a_400_naming_the_field(cast, client_for, fields, field):
    response = post(client_for(cast.reporter), **fields)
    assert response.status_code == 400
    assert field in response.json()
    assert not Case.objects.exists()


def test_a_verification_photo_from_the_page_keeps_its_capture(cast, as_user):
    case = case_in(cast, "feedback")
    response = as_user(case.verifier).post(
        f"/cases/{case.pk}/act/verify_pass/",
        {"note": "现场核查，已修复", "photos": [upload(jpeg((320, 240)))], **capture()},
    )
    assert response.status_code in (200, 302), response.content[:300]
    photo = Attachment.objects.get(case=case, stage=Attachment.Stage.VERIFICATION)
    assert photo.capture_cell == cast.territory.cell_a and photo.capture_accuracy_m == 9


def test_the_export_has_the_strip_burnt_in_and_the_original_stays_clean(
    cast, client_for, as_user, worker_x
):
    post_response = client_for(cast.reporter).post(
        CASES,
        create_body(photos=[upload(camera_jpeg((400, 300)))], **capture()),
        format="multipart",
    )
    assert post_response.status_code == 201
    photo = Attachment.objects.get()
    url = f"/cases/{photo.case_id}/photos/{photo.pk}/export/"
    response = as_user(cast.reporter).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "attachment" in response["Content-Disposition"]
    exported = Image.open(io.BytesIO(response.content))
    original = Image.open(photo.file.open("rb"))
    assert exported.width == original.width and exported.height > original.height  # the band
    band = exported.crop((0, original.height, exported.width, exported.height)).convert("L")
    assert band.getextrema()[1] > 200  # white text on the dark band
    assert not original.getexif() and b"Exif" not in photo.file.open("rb").read()
    # Out of scope: as if it did not exist.
    assert as_user(worker_x).get(url).status_code == 404
