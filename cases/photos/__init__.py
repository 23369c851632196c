"""The one photo pipeline (照片处理): every photo GridGov stores comes through here — the
pages, the API, the resident portal, Open311 and offline sync alike.

    prepare_photos(files) -> list[PreparedPhoto]

``files`` are Django ``File`` objects (an ``UploadedFile`` from ``request.FILES``, a
``ContentFile``). A ``PreparedPhoto`` passes through unchanged, so a caller may prepare
photos early (before taking a lock) and hand the result on. In this order, reading no more
than each step needs:

1. the request: at most ``PHOTO_MAX_PER_REQUEST`` files and ``PHOTO_MAX_REQUEST_BYTES``
   together, from their sizes, before any is read;
2. each file: at most ``PHOTO_MAX_FILE_BYTES``; a JPEG, PNG or WebP by its content, not its
   name; at most ``PHOTO_MAX_PIXELS`` by its header, before a pixel is decoded (a 109 KB PNG
   can declare 30000×30000 pixels, gigabytes once decoded);
3. nothing in it but a picture (``contents``): no markup in its metadata or after its end,
   nothing at all after the end of a PNG or WebP;
4. decoded, turned upright (EXIF orientation), converted to sRGB, shrunk to
   ``PHOTO_LONG_SIDE_PX`` and re-encoded as a JPEG without any metadata, with a thumbnail of
   ``PHOTO_THUMBNAIL_PX`` (``prepare``).

Of the EXIF only the capture time and GPS position are kept, as values for
``Attachment.taken_at``/``taken_lat``/``taken_lon`` (``exif``). ``prepare_photos`` raises
``ValidationError({"photos": [...]})`` with one message per refused file, naming it; it
stores nothing (``Attachment.build`` does, from a ``PreparedPhoto``).

``uploads.PhotoRequestLimit`` (an upload handler, first in ``FILE_UPLOAD_HANDLERS``) refuses
a request body past twice ``PHOTO_MAX_REQUEST_BYTES`` before Django reads it.
"""

from __future__ import annotations

from .prepare import NotAPhoto, PreparedPhoto, open_image, prepare_photos

__all__ = ["NotAPhoto", "PreparedPhoto", "open_image", "prepare_photos"]
