"""An upload handler that refuses an oversized request before Django reads its body.

Django has no limit on the total size of the files in a multipart request: it streams them
to temporary files (past ``FILE_UPLOAD_MAX_MEMORY_SIZE``) however many gigabytes arrive,
and ``prepare_photos`` can only refuse them afterwards. ``PhotoRequestLimit``, first in
``FILE_UPLOAD_HANDLERS``, looks at the Content-Length before a byte is parsed: past twice
``PHOTO_MAX_REQUEST_BYTES`` the request is no phone's report and is refused whole
(``PhotoRequestTooBig``, a 400). Between the limit and twice the limit the body is read
and ``prepare_photos`` answers with the field error that says how much was sent. The web
server in front should refuse the same bodies first (nginx ``client_max_body_size``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

from .prepare import megabytes


def body_ceiling() -> int:
    return 2 * settings.PHOTO_MAX_REQUEST_BYTES


class PhotoRequestTooBig(RequestDataTooBig):
    """A request body past ``body_ceiling()``; its message is for the sender. Django answers
    it with 400 (a ``SuspiciousOperation``); the API as a ``photos`` field error."""

    def __init__(self) -> None:
        super().__init__(
            _("The request is larger than %(limit)s MB: send fewer or smaller photos.")
            % {"limit": megabytes(body_ceiling())}
        )


class PhotoRequestLimit(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > body_ceiling():
            raise PhotoRequestTooBig()
        return None  # within the limit: the other handlers parse it

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
