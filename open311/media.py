"""``media_url``: fetch the photo a client links to, so it goes through the same photo
pipeline (``cases.photos``) as an uploaded ``media`` file.

A URL from outside is a way into our network (SSRF): only http(s), no redirects, no address
that is private, loopback, link-local or reserved (unless ``OPEN311_MEDIA_PRIVATE_HOSTS``, for
tests and closed networks), short timeouts, and no more than ``PHOTO_MAX_FILE_BYTES`` read.
Called before the intake's transaction (no network I/O inside one).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

TIMEOUT = (3, 10)  # seconds to connect, to read
CHUNK = 64 * 1024


class MediaError(Exception):
    """Why the photo at ``media_url`` could not be fetched, for the client."""


def _check_host(host: str, port: int) -> None:
    if getattr(settings, "OPEN311_MEDIA_PRIVATE_HOSTS", False):
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise MediaError(_("its host cannot be found.")) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise MediaError(_("its host is not on the public internet."))


def fetch_media(url: str) -> SimpleUploadedFile:
    """The file at ``url`` as an upload, for ``file_case(photos=...)`` to check and store;
    ``MediaError`` when it cannot or may not be fetched, or is too large."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MediaError(_("give an http or https URL."))
    _check_host(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    limit = settings.PHOTO_MAX_FILE_BYTES
    try:
        with requests.get(url, timeout=TIMEOUT, stream=True, allow_redirects=False) as response:
            if response.status_code != 200:
                raise MediaError(_("it answered %(status)d.") % {"status": response.status_code})
            data = bytearray()
            for chunk in response.iter_content(CHUNK):
                data += chunk
                if len(data) > limit:
                    raise MediaError(_("the file is too large."))
    except requests.RequestException:
        raise MediaError(_("it could not be fetched.")) from None
    name = parts.path.rsplit("/", 1)[-1] or "media"
    content_type = response.headers.get("Content-Type", "application/octet-stream")
    return SimpleUploadedFile(name, bytes(data), content_type=content_type)
