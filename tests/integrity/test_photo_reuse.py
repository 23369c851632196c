"""A photo passed off again after the tricks a worker would use (mirrored, turned, cropped
into a chat screenshot, photographed again) is flagged with its reasons in plain words; two
photos of similar things, and a recurring spot with a new problem in it, are not."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from cases.models import Attachment, Case
from integrity.models import IntegrityFlag, PhotoHash, Rule
from integrity.photo_matching import is_reuse
from integrity.services import run_rules

from .conftest import encoded, photo_file, street
from .test_rules import file, flagged

pytestmark = pytest.mark.django_db


def backdate(case: Case, days: float) -> None:
    """The case and its photos ``days`` earlier (the rule reads when a photo was attached)."""
    at = timezone.now() - timedelta(days=days)
    Case.objects.filter(pk=case.pk).update(created_at=at)
    Attachment.objects.filter(case=case).update(created_at=at)


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    return encoded(image.convert("RGB"), "JPEG", quality=quality)


def chat_screenshot(image: Image.Image, *, cropped: bool = True) -> Image.Image:
    """A crop of ``image`` (or all of it) as a phone shows it in a chat, with the phone's
    bars."""
    w, h = image.size
    shown = image.crop((w // 8, h // 10, w - w // 5, h - h // 8)) if cropped else image.copy()
    shown.thumbnail((520, 800))
    screen = Image.new("RGB", (540, 1170), (237, 237, 237))
    draw = ImageDraw.Draw(screen)
    draw.rectangle([0, 0, 540, 120], fill=(250, 250, 250))
    draw.text((20, 20), "12:41    网格工作群", fill=(20, 20, 20))
    draw.rectangle([0, 1000, 540, 1170], fill=(247, 247, 247))
    screen.paste(shown, (10, 300))
    return screen


def reshot(image: Image.Image) -> Image.Image:
    """The same scene photographed again: a step to the side, darker light, a soft lens."""
    w, h = image.size
    moved = image.transform(
        (w, h),
        Image.Transform.QUAD,
        (30, 10, 12, h - 25, w - 8, h - 5, w - 35, 20),
        Image.Resampling.BICUBIC,
    )
    darker = Image.eval(moved, lambda v: int(255 * (v / 255) ** 1.3))
    return darker.filter(ImageFilter.GaussianBlur(0.8))


TRICKS = {
    "mirrored": lambda image: ImageOps.mirror(image),
    "turned a quarter": lambda image: image.transpose(Image.Transpose.ROTATE_90),
    "cropped into a chat screenshot": chat_screenshot,
    "photographed again": reshot,
}


@pytest.mark.parametrize("trick", TRICKS)
def test_a_photo_passed_off_again_after_a_trick_is_flagged(cast, since, trick):
    image = street(11, problem=1)
    original = file(cast, photos=[photo_file(jpeg(image), "a.jpg")])
    backdate(original, 5)
    copy = TRICKS[trick](image)
    reuse = file(cast, title="井盖破损", photos=[photo_file(jpeg(copy, 70), "b.jpg")], dx_m=400)

    run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert flagged(Rule.REUSED_PHOTO) == {reuse.pk}
    evidence = IntegrityFlag.objects.get(case=reuse).evidence["photos"][0]
    assert evidence["matched_case_id"] == original.pk
    assert evidence["inliers"] >= 20
    assert evidence["mirrored"] is (trick == "mirrored")
    assert abs(evidence["rotation"]) == (90 if trick == "turned a quarter" else 0)
    assert evidence["framed"] is (trick == "cropped into a chat screenshot")
    assert evidence["days_earlier"] >= 4.9 and evidence["same_worker"] is True


def test_a_colleagues_photo_screenshotted_from_the_group_chat_is_found_far_away(
    cast, since, settings
):
    """A screenshot is fingerprinted as the photo it frames, so its hash is the photo's: a
    worker of another cell who files a colleague's photo screenshotted from the group chat
    is found through the hash, though neither the worker nor the place brings the two photos
    together (the other cell lies beyond the nearby radius)."""
    settings.INTEGRITY_PHOTO_NEARBY_M = 500
    image = street(12, problem=2)
    original = file(cast, photos=[photo_file(jpeg(image), "a.jpg")])
    backdate(original, 3)
    screen = chat_screenshot(image, cropped=False)
    reuse = file(cast, by=cast.worker_b, photos=[photo_file(jpeg(screen, 70), "b.jpg")], dx_m=853)

    run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert flagged(Rule.REUSED_PHOTO) == {reuse.pk}
    evidence = IntegrityFlag.objects.get(case=reuse).evidence["photos"][0]
    assert evidence["matched_case_id"] == original.pk
    assert evidence["framed"] is True and evidence["same_worker"] is False


def test_two_photos_of_similar_things_or_a_new_problem_at_the_same_spot_are_not_flagged(
    cast, since
):
    first = file(cast, photos=[photo_file(jpeg(street(21, problem=1)), "a.jpg")])
    backdate(first, 1)
    # Another scene with the same kind of pile in it: similar objects, a different photo.
    file(cast, photos=[photo_file(jpeg(street(22, problem=1)), "b.jpg")], dx_m=200)
    # The same spot on another day, photographed again, with a new pile somewhere else.
    file(cast, photos=[photo_file(jpeg(reshot(street(21, problem=2))), "c.jpg")], dx_m=5)

    run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert flagged(Rule.REUSED_PHOTO) == set()
    # The same spot was matched (its background) and judged a new scene, not left unchecked.
    matches = [m for row in PhotoHash.objects.exclude(matches=[]) for m in row.matches]
    assert any(m["inliers"] >= 20 and not is_reuse(m) for m in matches), matches


def test_a_new_photo_of_a_recurring_spot_screenshotted_from_the_chat_is_not_flagged(cast, since):
    """A screenshot is judged by the photo it frames, as any photo is: a worker who files
    their own new photo of the spot from the group chat, a new pile in it, is not flagged."""
    first = file(cast, photos=[photo_file(jpeg(street(21, problem=1)), "a.jpg")])
    backdate(first, 1)
    shot = chat_screenshot(reshot(street(21, problem=2)), cropped=False)
    file(cast, photos=[photo_file(jpeg(shot, 70), "b.jpg")], dx_m=5)

    run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert flagged(Rule.REUSED_PHOTO) == set()
    matches = [m for row in PhotoHash.objects.exclude(matches=[]) for m in row.matches]
    assert any(m["screenshot"] and m["inliers"] >= 20 for m in matches), matches


def coloured_in(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """``image`` with something new in ``box`` whose grey is exactly what lay there (a heap
    of green and red sacks on a ground of their brightness): only its colour tells it."""
    y, cb, cr = (np.asarray(band, dtype=np.int16) for band in image.convert("YCbCr").split())
    x0, y0, x1, y1 = box
    cb[y0:y1, x0:x1] = 128 + np.where((np.arange(x1 - x0) // 20) % 2, 60, -60)
    cr[y0:y1, x0:x1] = 128 + np.where((np.arange(y1 - y0) // 20) % 2, 60, -60)[:, None]
    bands = [Image.fromarray(np.clip(b, 0, 255).astype(np.uint8)) for b in (y, cb, cr)]
    return Image.merge("YCbCr", bands).convert("RGB")


def test_a_new_problem_told_from_the_old_scene_by_its_colour_alone_is_not_flagged(cast, since):
    """The same spot another day with a new heap on it, as bright as the ground it lies on:
    in grey the photos are the same scene, in colour they are not, so it is an honest new
    report."""
    image = street(25)
    first = file(cast, photos=[photo_file(jpeg(image), "a.jpg")])
    backdate(first, 2)
    heap = coloured_in(image, (420, 380, 640, 520))
    file(cast, photos=[photo_file(jpeg(reshot(heap)), "b.jpg")], dx_m=5)

    run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert flagged(Rule.REUSED_PHOTO) == set()
    matches = [m for row in PhotoHash.objects.exclude(matches=[]) for m in row.matches]
    assert any(m["inliers"] >= 20 and not is_reuse(m) for m in matches), matches


def test_each_photo_is_checked_once_and_the_page_says_why(client, cast, since):
    image = street(31, problem=3)
    original = file(cast, photos=[photo_file(jpeg(image), "a.jpg")])
    backdate(original, 2)
    reuse = file(cast, photos=[photo_file(jpeg(ImageOps.mirror(image), 60), "b.jpg")], dx_m=300)
    run_rules(since=since, rules=[Rule.REUSED_PHOTO])
    checked = dict(PhotoHash.objects.values_list("attachment_id", "matched_at"))

    run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert dict(PhotoHash.objects.values_list("attachment_id", "matched_at")) == checked
    client.force_login(cast.staff)
    html = client.get("/integrity/").content.decode()
    flag = IntegrityFlag.objects.get(case=reuse)
    points = flag.evidence["photos"][0]["inliers"]
    assert f"Matches {points} points of a photo on case {original.number}" in html
    assert "mirrored" in html and "Both attached by the same worker." in html


def test_fingerprints_from_before_local_features_are_computed_again(cast, since):
    image = street(41)
    original = file(cast, photos=[photo_file(jpeg(image), "a.jpg")])
    backdate(original, 1)
    reuse = file(cast, photos=[photo_file(jpeg(ImageOps.mirror(image)), "b.jpg")], dx_m=300)
    run_rules(since=since, rules=[Rule.REUSED_PHOTO])
    IntegrityFlag.objects.all().delete()
    PhotoHash.objects.update(version=0, features=b"", matches=[], matched_at=None)

    run_rules(since=since, rules=[Rule.REUSED_PHOTO])

    assert flagged(Rule.REUSED_PHOTO) == {reuse.pk}
    assert not PhotoHash.objects.filter(version=0).exists()


def test_fingerprinting_stops_at_its_budget_and_the_next_scan_goes_on(cast, since, settings):
    """After a new fingerprint version a year of photos waits: a scan fingerprints only what
    its budget allows (none at a budget of 0 s), leaves the rest without a row and does not
    fail; the next scan with time to spare takes them up and finds the reuse."""
    image = street(43)
    original = file(cast, photos=[photo_file(jpeg(image), "a.jpg")])
    backdate(original, 1)
    reuse = file(cast, photos=[photo_file(jpeg(ImageOps.mirror(image)), "b.jpg")], dx_m=300)
    PhotoHash.objects.all().delete()
    settings.INTEGRITY_PHOTO_HASH_SECONDS = 0
    run_rules(since=since, rules=[Rule.REUSED_PHOTO])
    assert not PhotoHash.objects.exists() and not flagged(Rule.REUSED_PHOTO)

    settings.INTEGRITY_PHOTO_HASH_SECONDS = 240
    run_rules(since=since, rules=[Rule.REUSED_PHOTO])
    assert PhotoHash.objects.count() == 2
    assert flagged(Rule.REUSED_PHOTO) == {reuse.pk}


def test_a_time_limit_while_fingerprinting_is_not_taken_for_a_bad_photo(monkeypatch):
    """Celery's soft time limit arrives as an exception inside whatever runs: it must end the
    task, not mark the photo at hand as unreadable for ever."""
    from celery.exceptions import SoftTimeLimitExceeded

    from integrity import photos

    def out_of_time(_data):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(photos, "open_image", out_of_time)
    with pytest.raises(SoftTimeLimitExceeded):
        photos.fingerprint(jpeg(street(44)))


def test_a_pair_opencv_cannot_compare_is_logged_and_the_batch_goes_on(
    cast, since, monkeypatch, caplog
):
    """An OpenCV error on one pair skips that pair (logged); the photo is still marked checked,
    so the next scan does not stumble on it again."""
    import cv2

    from integrity import photo_matching

    image = street(45)
    original = file(cast, photos=[photo_file(jpeg(image), "a.jpg")])
    backdate(original, 1)
    file(cast, photos=[photo_file(jpeg(ImageOps.mirror(image)), "b.jpg")], dx_m=300)

    def broken(*_args, **_kwargs):
        raise cv2.error("features out of shape")

    monkeypatch.setattr(photo_matching, "compare_pair", broken)
    run_rules(since=since, rules=[Rule.REUSED_PHOTO])
    assert "not compared" in caplog.text
    assert not PhotoHash.objects.filter(informative=True, matched_at=None).exists()
