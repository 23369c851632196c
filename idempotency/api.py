"""``Idempotency-Key`` for DRF views: ``once(request, perform)`` and the header's OpenAPI
parameter, so every endpoint a phone's outbox posts to honours the key the same way."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from .services import HEADER, M, fingerprint, parse_key, run_once

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    description=(
        "A UUID the client makes per request and repeats with the request: a repeat by the "
        "same user within 7 days answers with what the first one made or changed (200); "
        "another request under the same key is a 409."
    ),
)


def once(request: Request, perform: Callable[[], M]) -> tuple[M, bool]:
    """``perform()``, or what its first run answered, under the request's ``Idempotency-Key``
    (``(obj, replayed)``); without the header simply ``perform()``."""
    key = parse_key(request.headers.get(HEADER))
    if key is None:
        return perform(), False
    return run_once(
        user=request.user,
        key=key,
        fingerprint=fingerprint(request.method, request.path, request.data),
        perform=perform,
    )
