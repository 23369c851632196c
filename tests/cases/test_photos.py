"""The one photo pipeline (cases.photos): what happens to an upload, and every bad file it
refuses with a field error before storing anything — through the intake service here, over
the API in tests/api/test_photos_api.py, on the pages at the end of this file."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from cases.models import Attachment, Case
from cases.services import create_case

from .images import (
    HTML,
    camera_jpeg,
    encoded,
    exif_with,
    jpeg,
    jpeg_with_trailing_jpeg,
    picture,
    png_144_megapixels,
    png_bomb,
    png_with_text,
    upload,
)
from .personas import POINT_A, case_in

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def file_with(cast, *photos) -> Case:
    return create_case(
        by=cast.reporter,
        title="井盖丢失",
        description="人行道上水井盖丢失",
        category_code="C0101",
        lon=POINT_A[0],
        lat=POINT_A[1],
        photos=list(photos),
    )


def refused(cast, *photos) -> list[str]:
    """The ``photos`` errors of an intake with these files; nothing may have been stored."""
    with pytest.raises(ValidationError) as exc:
        file_with(cast, *photos)
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert set(exc.value.message_dict) == {"photos"}, exc.value.message_dict
    return exc.value.message_dict["photos"]


def stored_image(field) -> Image.Image:
    with field.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def images_allocated() -> int:
    """How many pixel buffers Pillow has allocated in this process so far."""
    return Image.core.get_stats()["new_count"]


# --- what is stored ---------------------------------------------------------------------------


def test_a_photo_is_stored_as_a_bounded_jpeg_with_a_thumbnail_beside_it(cast, settings):
    case = file_with(cast, upload(encoded(picture((3000, 2000)), "PNG"), "IMG_0001.png"))
    photo = case.attachments.get()
    image = stored_image(photo.file)
    assert (image.format, image.size) == ("JPEG", (2048, 1365))
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 2048, 1365)
    assert photo.size == photo.file.size
    thumbnail = stored_image(photo.thumbnail)
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (320, 213))
    folder = photo.file.name.rsplit("/", 1)[0]
    assert photo.thumbnail.name.startswith(f"{folder}/") and photo.thumbnail.name != photo.file.name
    assert photo.taken_at is None and photo.taken_lon is None and photo.taken_lat is None


def test_camera_metadata_is_stripped_and_only_time_and_position_are_kept(cast):
    original = camera_jpeg((800, 600), orientation=6)  # held sideways: EXIF says rotate
    assert b"Canon" in original and b"SN-0123456789" in original
    photo = file_with(cast, upload(original)).attachments.get()

    for field in (photo.file, photo.thumbnail):
        with field.open("rb") as handle:
            data = handle.read()
        for trace in (b"Exif", b"Canon", b"EOS", b"SN-0123456789", b"Firmware", b"holiday"):
            assert trace not in data, trace
        image = Image.open(io.BytesIO(data))
        assert not image.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp", "photoshop"} & set(image.info)
        # No segment but the JPEG's own JFIF header: no APP1 (EXIF, XMP), APP2 (ICC), COM.
        assert [marker for marker, _ in image.applist] == ["APP0"]
    # The rotation is applied to the pixels (the stored file has no orientation tag).
    assert (photo.width, photo.height) == (600, 800)
    # What the photo said about where and when, as columns.
    assert photo.taken_at == datetime(2025, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert math.isclose(photo.taken_lat, 39 + 54 / 60 + 18 / 3600)
    assert math.isclose(photo.taken_lon, 116 + 24 / 60 + 18 / 3600)


def test_a_capture_time_without_offset_is_read_in_local_time_and_bad_gps_is_left_out(cast):
    data = camera_jpeg(offset=None, lat=(95.0, 0.0, 0.0))  # latitude 95°: not on Earth
    photo = file_with(cast, upload(data)).attachments.get()
    assert photo.taken_at == datetime(2025, 5, 1, 1, 30, tzinfo=UTC)  # Asia/Shanghai
    assert photo.taken_lat is None and photo.taken_lon is None


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.webp", encoded(picture(), "WEBP")),
        ("transparent.png", encoded(picture(mode="RGBA"), "PNG")),
        ("scan.jpg", encoded(picture().convert("CMYK"), "JPEG")),
        ("grey.png", encoded(picture(mode="L"), "PNG")),
        ("tiny.png", encoded(picture((1, 1)), "PNG")),
        # Phones store depth and gain maps as further images after the first one (MPF).
        ("portrait.jpg", jpeg_with_trailing_jpeg()),
    ],
)
def test_webp_png_and_unusual_jpegs_are_accepted_and_stored_as_jpeg(cast, name, data):
    photo = file_with(cast, upload(data, name)).attachments.get()
    assert stored_image(photo.file).mode == "RGB" and photo.content_type == "image/jpeg"


def test_a_16_bit_grey_png_keeps_its_tones(cast):
    grey = Image.fromarray(np.full((48, 64), 32768, dtype=np.uint16))
    assert grey.mode == "I;16"
    photo = file_with(cast, upload(encoded(grey, "PNG"), "scan.png")).attachments.get()
    assert stored_image(photo.file).getpixel((32, 24)) in {(127, 127, 127), (128, 128, 128)}


# --- what is refused --------------------------------------------------------------------------


def test_a_decompression_bomb_is_refused_from_its_header(cast):
    bomb = png_bomb(30000, 30000)
    assert len(bomb) < 120_000
    before = images_allocated()
    (message,) = refused(cast, upload(bomb, "bomb.png"))
    assert "bomb.png" in message and "900 megapixels" in message
    assert images_allocated() == before  # not one pixel buffer: refused before decoding


def test_a_144_megapixel_image_is_refused_before_its_pixels_are_decoded(cast):
    huge = upload(png_144_megapixels(), "huge.png")
    before = images_allocated()
    (message,) = refused(cast, huge)
    assert "144 megapixels" in message and "at most 50" in message
    assert images_allocated() == before


def test_a_webp_declaring_a_huge_canvas_is_refused_from_its_header(cast):
    data = bytearray(encoded(picture((64, 64)), "WEBP", exif=exif_with({0x010F: "Canon"})))
    at = data.index(b"VP8X") + 12  # canvas width − 1, height − 1: 24 bits each
    data[at : at + 6] = (16383 - 1).to_bytes(3, "little") * 2  # 268 megapixels
    (message,) = refused(cast, upload(bytes(data), "huge.webp"))
    assert "huge.webp" in message and "at most 50 megapixels" in message


def test_more_photos_than_allowed_in_one_request_are_refused(cast, settings):
    assert settings.PHOTO_MAX_PER_REQUEST == 6
    photos = [upload(jpeg((64, 48), seed=i), f"p{i}.jpg") for i in range(7)]
    (message,) = refused(cast, *photos)
    assert "at most 6 photos" in message


def test_photos_over_the_total_size_of_a_request_are_refused(cast, settings):
    assert settings.PHOTO_MAX_REQUEST_BYTES == 25 * 1024 * 1024
    settings.PHOTO_MAX_REQUEST_BYTES = MB // 4
    photos = [upload(jpeg((600, 600), seed=i, quality=100), f"p{i}.jpg") for i in range(3)]
    assert all(p.size < MB // 4 for p in photos)
    (message,) = refused(cast, *photos)
    assert message == "Photos may be at most 0.25 MB together; these are 0.34 MB."


def test_a_photo_over_the_size_of_one_file_is_refused(cast, settings):
    assert settings.PHOTO_MAX_FILE_BYTES == 10 * 1024 * 1024
    settings.PHOTO_MAX_FILE_BYTES = MB // 10
    (message,) = refused(cast, upload(jpeg((600, 600), quality=100), "big.jpg"))
    assert "big.jpg" in message and "at most 0.1 MB" in message


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.jpg", "路灯不亮，已经三天了。".encode()),
        ("page.jpg", HTML),
        ("doc.png", b"%PDF-1.7\n1 0 obj\n"),
        ("anim.gif", encoded(picture(), "GIF")),
        ("bitmap.jpg", encoded(picture(), "BMP")),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),  # a PNG signature and nothing after
        ("cut.jpg", jpeg((640, 480))[:3000]),  # a download that broke off
    ],
)
def test_files_that_are_not_whole_photos_are_refused_whatever_their_name(cast, name, data):
    (message,) = refused(cast, upload(data, name))
    assert name in message


@pytest.mark.parametrize(
    ("case", "data"),
    [
        ("html in a jpeg comment", jpeg(comment=HTML)),
        ("html after the jpeg's end", jpeg() + HTML),
        ("script in a png text chunk", png_with_text("Comment", "<script>alert(1)</script>")),
        ("bytes after the png's end", encoded(picture(), "PNG") + b"PK\x03\x04 a zip file"),
        ("bytes after the webp's end", encoded(picture(), "WEBP") + b"<?php system($_GET[c]);"),
        ("php in the exif", jpeg(exif=exif_with({0x010E: "<?php eval($_POST[x]); ?>"}))),
    ],
)
def test_polyglots_are_refused_with_a_reason(cast, case, data):
    (message,) = refused(cast, upload(data, "IMG_0002.jpg"))
    assert "IMG_0002.jpg" in message and "not part of a picture" in message


def test_every_refused_photo_is_named_and_none_of_the_good_ones_is_stored(cast):
    messages = refused(
        cast,
        upload(jpeg(), "good.jpg"),
        upload(HTML, "page.jpg"),
        upload(png_bomb(30000, 30000), "bomb.png"),
    )
    assert [m.split(" ")[:2] for m in messages] == [["Photo", "2"], ["Photo", "3"]]


# --- the pages --------------------------------------------------------------------------------


def report_body(*photos) -> dict:
    return {
        "description": "人行道井盖松动，有行人绊倒的危险。",
        "category": "C0101",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        "photos": list(photos),
    }


@pytest.mark.parametrize(
    ("photos", "expected"),
    [
        (lambda: [upload(png_bomb(30000, 30000), "bomb.png")], "900 megapixels"),
        (lambda: [upload(jpeg() + HTML, "poly.jpg")], "not part of a picture"),
        (lambda: [upload(b"hello", "notes.jpg")], "notes.jpg"),
        (lambda: [upload(jpeg((64, 48), seed=i)) for i in range(7)], "at most 6 photos"),
    ],
)
def test_the_report_page_answers_a_bad_photo_with_400_and_says_why(cast, as_user, photos, expected):
    response = as_user(cast.reporter).post(reverse("report"), report_body(*photos()))
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not Case.objects.exists()


def test_the_report_page_answers_too_many_bytes_with_400_and_says_why(cast, as_user, settings):
    settings.PHOTO_MAX_REQUEST_BYTES = MB // 4
    photos = [upload(jpeg((600, 600), seed=i, quality=100), f"p{i}.jpg") for i in range(3)]
    response = as_user(cast.reporter).post(reverse("report"), report_body(*photos))
    assert response.status_code == 400
    assert "at most 0.25 MB together" in response.content.decode()


def test_the_report_page_refuses_a_body_far_over_the_limit_before_reading_it(
    cast, as_user, settings
):
    settings.PHOTO_MAX_REQUEST_BYTES = MB // 10
    photos = [upload(jpeg((600, 600), seed=i, quality=100), f"p{i}.jpg") for i in range(4)]
    response = as_user(cast.reporter).post(reverse("report"), report_body(*photos))
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_an_action_form_answers_a_polyglot_with_400_in_the_panel(cast, as_user):
    case = case_in(cast, "handling")
    response = as_user(cast.handler).post(
        reverse("case-action", args=[case.pk, "report"]),
        {"note": "已补装井盖", "photos": [upload(jpeg(comment=HTML), "result.jpg")]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "not part of a picture" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "handling" and not case.attachments.filter(stage="result").exists()


def test_a_refused_photo_on_a_case_in_the_wrong_state_answers_409_first(cast, as_user):
    case = case_in(cast, "closed")
    response = as_user(cast.handler).post(
        reverse("case-action", args=[case.pk, "report"]),
        {"note": "已补装井盖", "photos": [upload(HTML, "page.jpg")]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
