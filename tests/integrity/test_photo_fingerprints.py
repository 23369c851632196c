"""Fingerprinting never stops a scan: a bad or missing photo already on disk (an upload from
before the photo pipeline, a restored backup) is skipped and logged, the rest is scanned."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from cases.models import Attachment
from integrity import photo_features
from integrity.models import IntegrityFlag, PhotoHash, Rule
from integrity.photos import fingerprint
from integrity.services import run_rules

from ..cases.images import jpeg, png_144_megapixels, png_bomb
from .conftest import encoded, photo_file, picture, plain_case, retouched
from .test_rules import file

pytestmark = pytest.mark.django_db


def old_upload(case, name: str, data: bytes | None) -> Attachment:
    """An attachment row whose file was written straight to storage, unchecked, as uploads
    were before the photo pipeline (``None``: the file has since been lost)."""
    stored = default_storage.save(f"cases/{case.pk}/{name}", ContentFile(data or b"gone"))
    if data is None:
        default_storage.delete(stored)
    return Attachment.objects.create(
        case=case, stage="report", file=stored, content_type="image/png", size=len(data or b"")
    )


def test_bad_and_missing_photos_are_skipped_and_logged_and_the_rest_is_scanned(cast, since, caplog):
    old = plain_case(cast.territory.cell_a, reporter=cast.reporter)
    bad = {
        "bomb": old_upload(old, "bomb.png", png_bomb(30000, 30000)),
        "huge": old_upload(old, "huge.png", png_144_megapixels()),
        "cut": old_upload(old, "cut.jpg", jpeg()[:2000]),
        "text": old_upload(old, "notes.png", b"not a picture at all"),
        "lost": old_upload(old, "lost.png", None),
    }
    original = file(cast, photos=[photo_file(encoded(picture(1)))])
    reuse = file(cast, title="井盖破损", photos=[photo_file(retouched(1), "copy.jpg")], dx_m=400)

    with caplog.at_level(logging.WARNING, logger="integrity.photos"):
        run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert set(IntegrityFlag.objects.values_list("case_id", flat=True)) == {reuse.pk}
    assert IntegrityFlag.objects.get().evidence["photos"][0]["matched_case_id"] == original.pk
    errors = {
        name: PhotoHash.objects.get(attachment=attachment).error for name, attachment in bad.items()
    }
    assert "900 megapixels" in errors["bomb"] and "144 megapixels" in errors["huge"]
    assert all(errors.values()), errors
    assert not PhotoHash.objects.filter(attachment__in=bad.values(), informative=True).exists()
    logged = " ".join(r.getMessage() for r in caplog.records)
    for attachment in bad.values():
        assert f"attachment {attachment.pk}" in logged
    # Recorded, so the next scan does not try them again.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="integrity.photos"):
        run_rules(since=since, rules=[Rule.REUSED_PHOTO])
    assert not caplog.records


def test_a_panorama_strip_too_long_for_the_record_is_fingerprinted_all_the_same():
    # 240,000 × 16 px (3.8 megapixels, well within uploads' limit): scaled to the working
    # area it would still be 67,882 px wide, past the 16-bit width in the packed record.
    strip = np.kron(np.tile([[40, 200]], (2, 15)), np.ones((8, 8000), np.uint8))
    result = fingerprint(encoded(Image.fromarray(strip.astype(np.uint8))))
    assert "error" not in result and result["informative"], result.get("error")
    width, height = photo_features.unpack(result["features"]).size
    assert (width, height) == (photo_features.MAX_SIDE_PX, 1)


def test_a_screenshot_is_fingerprinted_as_the_photo_it_frames():
    """The phone's bars around a photo shown in a chat are cut away: the screenshot hashes as
    the photo does, and its record keeps the share of the screen the photo filled. A photo
    whose sky is one flat grey above a textured ground is not taken for a screenshot."""
    from .conftest import street
    from .test_photo_reuse import chat_screenshot

    image = street(5, problem=1)
    photo = fingerprint(encoded(image, "JPEG", quality=85))
    shot = fingerprint(encoded(chat_screenshot(image, cropped=False), "JPEG", quality=70))
    assert bin((photo["phash"] ^ shot["phash"]) % 2**64).count("1") <= 6
    assert 0.2 < photo_features.unpack(shot["features"]).framed < 0.5
    assert photo_features.unpack(photo["features"]).framed == 1.0

    pixels = np.asarray(image).copy()
    pixels[: pixels.shape[0] * 2 // 5] = 150  # a flat sky over the street
    sky = Image.fromarray(pixels)
    grey = np.asarray(sky.convert("L"))
    assert photo_features.frame(grey) is None


@pytest.mark.parametrize("size", [(5000, 20), (20, 5000), (5794, 173), (3450, 100)])
def test_a_photo_of_any_shape_gets_its_colour_thumbnail(size):
    """The thumbnail's grey and colour axes come out the same size whatever the photo's
    shape (shrunk separately, rounding made them differ by a pixel or two)."""
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (size[1] // 4 + 1, size[0] // 4 + 1, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize(size)
    result = fingerprint(encoded(image))
    assert "error" not in result and result["informative"], result.get("error")
    assert photo_features.unpack(result["features"]).thumb.shape[2] == 3


def test_one_flat_file_under_many_attachments_is_fingerprinted_for_each(cast):
    """The district history's stand-in photo lies under a million attachments: each gets its
    fingerprint, the file read once per scan."""
    from integrity.photos import ensure_hashes

    case = plain_case(cast.territory.cell_a, reporter=cast.reporter)
    flat = encoded(Image.new("RGB", (640, 480), (196, 198, 200)), "JPEG")
    stored = default_storage.save(f"cases/{case.pk}/stand-in.jpg", ContentFile(flat))
    rows = [
        Attachment.objects.create(
            case=case, stage="verification", file=stored, content_type="image/jpeg", size=len(flat)
        )
        for _ in range(3)
    ]
    assert ensure_hashes(Attachment.objects.filter(pk__in=[a.pk for a in rows])) == 3
    prints = PhotoHash.objects.filter(attachment__in=rows)
    assert {(p.sha256, p.informative, p.error) for p in prints} == {
        (fingerprint(flat)["sha256"], False, "")
    }
