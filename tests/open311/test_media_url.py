"""``media_url``: the linked photo is fetched and goes through the photo pipeline; links into
our own network are refused (SSRF), as are links that are not photos."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cases.models import Case

from ..cases.personas import PNG, POINT_A
from .conftest import KEY, as_json, error_list, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo_host(tmp_path):
    """A real HTTP server on 127.0.0.1 serving a photo and a text file."""
    (tmp_path / "hole.png").write_bytes(PNG)
    (tmp_path / "note.txt").write_text("not a photo")
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _body(media_url: str) -> dict:
    return {
        "api_key": KEY,
        "service_code": "C0101",
        "lat": POINT_A[1],
        "long": POINT_A[0],
        "description": "井盖缺失",
        "media_url": media_url,
    }


def test_a_linked_photo_is_fetched_into_the_case(cast, app_client, photo_host, settings):
    settings.OPEN311_MEDIA_PRIVATE_HOSTS = True  # the test's server is on loopback
    (item,) = as_json(post(**_body(f"{photo_host}/hole.png")))
    case = Case.objects.get(number=item["service_request_id"])
    attachment = case.attachments.get()
    assert attachment.content_type == "image/jpeg"  # re-encoded by the pipeline


@pytest.mark.parametrize(
    ("path", "words"), [("/note.txt", "media: "), ("/missing.png", "media_url: it answered 404")]
)
def test_a_link_that_is_not_a_photo_is_400(cast, app_client, photo_host, settings, path, words):
    settings.OPEN311_MEDIA_PRIVATE_HOSTS = True
    (message,) = error_list(post(**_body(photo_host + path)), 400)
    assert message.startswith(words), message
    assert not Case.objects.exists()


def test_links_into_our_own_network_are_refused(cast, app_client, photo_host):
    for url in (f"{photo_host}/hole.png", "http://10.0.0.1/a.png", "http://localhost/a.png"):
        (message,) = error_list(post(**_body(url)), 400)
        assert message == "media_url: its host is not on the public internet.", message
    assert not Case.objects.exists()
