"""The OpenAPI schema documents every status code an endpoint can answer (issue 10, item 5),
checked by Schemathesis in tests/api/test_fuzz.py.

``AutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds to each operation the error
answers that come from the API's machinery rather than from the view, with their bodies:

- 400 everywhere: a malformed body or query, a NUL byte in the URL (``gridgov.bad_input``);
- 401 with ``WWW-Authenticate: Token`` where credentials are required;
- 403 there too: no current assignment (``grids.access``), a role that may not act, or a
  signed-in browser session posting without its CSRF token;
- 404 where the path names an object (out of scope or gone) or the list is paginated;
- 406 everywhere: an ``Accept`` header the API cannot answer;
- 415 where there is a body (a content type the API does not read);
- 503 with ``Retry-After`` everywhere: the database cannot be reached (``gridgov.errors``).

A view's own ``extend_schema(responses=...)`` keeps its descriptions (and adds codes such as
409 or 429); this fills in the body schema where a description came alone.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated


class ErrorSerializer(serializers.Serializer):
    """``{"detail": "…"}``: why the request was refused."""

    detail = serializers.CharField()


class TransitionErrorSerializer(ErrorSerializer):
    """409: the action is not allowed in the case's state."""

    status = serializers.CharField()
    allowed_actions = serializers.ListField(child=serializers.CharField())


# Field errors ({"field": ["message", ...]}) or a parse error ({"detail": "…"}).
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {},
    "description": '{"field": ["message", ...]} or {"detail": "..."}',
}
BODIES = {"400": FIELD_ERRORS, "409": TransitionErrorSerializer}
DESCRIPTIONS = {
    "400": "Field errors: {field: [messages]}, or a malformed body or URL: {detail}",
    "401": "No valid token was sent (WWW-Authenticate: Token)",
    "403": "No current assignment, a role that may not do this, or a session without CSRF",
    "404": "Not found, or not in your scope",
    "406": "An Accept header the API cannot answer",
    "415": "A content type the API does not read",
    "503": "The database cannot be reached: try again after Retry-After seconds",
}
HEADERS = {
    "401": {
        "WWW-Authenticate": {"schema": {"type": "string"}, "required": True, "description": "Token"}
    },
    "503": {
        "Retry-After": {"schema": {"type": "integer"}, "required": True, "description": "seconds"}
    },
}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["400", "406", "503"]
        if any(isinstance(p, IsAuthenticated) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        paginated = self._is_list_view() and getattr(self.view, "pagination_class", None)
        if "{" in self.path or paginated:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("415")
        return codes

    def _get_response_bodies(self, direction="response") -> dict:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, {"description": DESCRIPTIONS[code]})
        for code, response in responses.items():
            if code.startswith(("4", "5")) and "content" not in response:
                body = OpenApiResponse(BODIES.get(code, ErrorSerializer), response["description"])
                responses[code] = self._get_response_for_code(body, code, direction=direction)
        for code, headers in HEADERS.items():
            if code in responses:
                responses[code]["headers"] = headers
        return dict(sorted(responses.items()))
