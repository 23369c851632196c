"""A full media disk (issue 18): a report with photos is answered 507 with ``Retry-After``
(JSON, the API's shape), not a 500, and leaves no case behind; a report without photos still
files; once there is room again the same report with photos files. The media folder is a real
1 MiB tmpfs filled to the brim (needs root to mount; skipped otherwise)."""

from __future__ import annotations

import os
import subprocess

import pytest

from cases.models import Attachment, Case

from ..cases.images import jpeg, upload
from .test_case_loop_api import CASES, create_body

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def full_media(settings, tmp_path):
    """MEDIA_ROOT on a 1 MiB tmpfs with no byte free; ``free()`` makes room again."""
    mount = tmp_path / "media"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    filler = mount / "filler"
    subprocess.run(["sh", "-c", f"cat /dev/zero > {filler}"], check=False, capture_output=True)
    settings.MEDIA_ROOT = mount

    class Media:
        @staticmethod
        def free() -> None:
            filler.unlink()

    try:
        yield Media
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_photos_on_a_full_disk_are_a_507_and_leave_nothing_half_written(
    cast, client_for, full_media
):
    client = client_for(cast.reporter)
    client.raise_request_exception = False
    photo = upload(jpeg((640, 480), seed=1), "p.jpg")
    response = client.post(
        CASES, create_body(photos=[photo]), format="multipart", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 507, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    assert "no room left to store photos" in response.json()["detail"]
    assert (Case.objects.count(), Attachment.objects.count()) == (0, 0)

    without_photos = client.post(CASES, create_body(), format="json")
    assert without_photos.status_code == 201, without_photos.content

    full_media.free()
    photo = upload(jpeg((640, 480), seed=1), "p.jpg")
    again = client.post(CASES, create_body(photos=[photo]), format="multipart")
    assert again.status_code == 201, again.content
    assert Attachment.objects.filter(case_id=again.json()["id"]).exists()
