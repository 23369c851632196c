"""One error shape for the whole API (DESIGN §4 "Errors", ``workflows.errors``).

- ``django.core.exceptions.ValidationError`` (raised by services) → 400 with field errors:
  ``{"field": ["message", ...]}``, or ``{"non_field_errors": [...]}`` when not about a field;
- ``TransitionNotAllowed`` → 409 ``{"detail", "status", "allowed_actions"}``;
- ``ActionForbidden`` → 403 ``{"detail"}``; any other ``WorkflowError`` and a
  ``KeyConflict`` (a reused ``Idempotency-Key``) → its ``http_status`` with ``{"detail"}``;
- ``PhotoRequestTooBig`` (a body refused from its size before it was read) → 400 on ``photos``;
- everything else as DRF does it (``Http404`` → 404, auth errors → 401/403, ...).
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from cases.photos.uploads import PhotoRequestTooBig
from idempotency.services import KeyConflict
from workflows.errors import ActionForbidden, TransitionNotAllowed, WorkflowError


def validation_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ``ValidationError`` as DRF field errors."""
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: list(exc.messages)}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in exc.message_dict.items()
    }


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, TransitionNotAllowed):
        set_rollback()
        return Response(
            {"detail": str(exc), "status": exc.status, "allowed_actions": list(exc.allowed)},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, PhotoRequestTooBig):  # refused before parsing: say it as a field error
        exc = exceptions.ValidationError({"photos": [str(exc)]})
    elif isinstance(exc, ActionForbidden):
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, (WorkflowError, KeyConflict)):  # e.g. a reused Idempotency-Key
        set_rollback()
        return Response({"detail": str(exc)}, status=exc.http_status)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    return drf_exception_handler(exc, context)
