"""Input no view should ever see: answered 400 before it reaches one (issue 10, item 5).

- ``JSONParser``: every DRF endpoint's JSON bodies (``auth/token/`` included, before any
  sign-in) are parsed by orjson, which refuses nesting past 1,024 levels without recursing
  (Python's ``json`` raises ``RecursionError`` near 1,000: a 500), lone surrogates, ``NaN`` and
  ``Infinity``; a body nested deeper than ``MAX_JSON_DEPTH`` is refused too, as no GridGov
  body nests more than two levels.
- ``RefuseNulBytesMiddleware``: a NUL byte in the path, the query string or a URL-encoded
  form is a 400. PostgreSQL cannot store or compare one (psycopg raises ``ValueError``), so a
  tracking code, a cell code, a filter or a note carrying ``%00`` would otherwise be a 500
  wherever it reached a query. Multipart bodies are left to the view (parsing them here would
  run the photo upload limits outside it): every field a view reads goes through a Django
  form or a DRF serializer, whose ``CharField`` refuses NUL characters with a field error.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32


def json_depth(value: object) -> int:
    """How deep lists and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node)
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser on orjson, with a depth limit (see the module's docstring)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = orjson.loads(stream.read() if stream is not None else b"")
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels")
        return data


def _has_nul(params: QueryDict) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in params.lists()
    )


class RefuseNulBytesMiddleware:
    """400 (``BadRequest``, answered by ``gridgov.errors``) for a NUL byte in the path, or in a
    parameter's name or value in the query string or a URL-encoded form."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        form = request.content_type == "application/x-www-form-urlencoded"
        if (
            "\x00" in request.path_info
            or _has_nul(request.GET)
            or (form and _has_nul(request.POST))
        ):
            raise BadRequest("NUL byte in the request")
        return self.get_response(request)
