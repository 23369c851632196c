"""Error answers: the branded pages (templates/400.html, 403.html, 404.html, 500.html) for
people, JSON for API clients; under DEBUG, Django's technical pages for superusers only.

Django shows its technical 404 and 500 pages (the URL list, tracebacks, settings) to anyone
while DEBUG is on, which ``make run`` turns on; ``TechnicalPagesForSuperusersMiddleware``
keeps them for a signed-in superuser and gives everyone else what production gives.
"""

from __future__ import annotations

import errno
import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.debug import ExceptionReporter
from rest_framework import exceptions as api_exceptions

logger = logging.getLogger(__name__)

# Paths whose clients read JSON, whatever went wrong.
API_PATH_PREFIXES = ("/api/", "/open311/")
# Open311 clients read GeoReport v2's error list ([{"code", "description"}]), not DRF's shape.
GEOREPORT_PATH_PREFIX = "/open311/"

# The API's error shape (as DRF answers): {"detail": "..."}, in DRF's translated words.
_API_DETAIL = {
    400: api_exceptions.ParseError.default_detail,
    403: api_exceptions.PermissionDenied.default_detail,
    404: api_exceptions.NotFound.default_detail,
    500: api_exceptions.APIException.default_detail,
    503: _("The service is briefly unavailable (its database cannot be reached); try again."),
    507: _(
        "There is no room left to store photos just now; nothing was saved. Try again later, "
        "or send the report without photos."
    ),
}
# Seconds an API client (or an offline phone) should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 30
FALLBACK_500 = "<!doctype html><title>GridGov</title><h1>Server Error (500)</h1>"
_PAGES: dict[int, Callable[..., HttpResponse]] = {
    400: defaults.bad_request,
    403: defaults.permission_denied,
    404: defaults.page_not_found,
}


def database_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached (refused, gone, shutting down), as opposed to a
    query that failed: PostgreSQL gives a connection failure no SQLSTATE, or one of class
    08 (connection exception) or 57P (operator intervention)."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    code = getattr(exc.__cause__, "pgcode", None)
    return code is None or code.startswith(("08", "57P"))


def storage_full(exc: BaseException | None) -> bool:
    """Writing an upload (a photo) failed for want of space: the media disk is full
    (``ENOSPC``) or its quota spent (``EDQUOT``). The write ran inside the step's transaction,
    so nothing of the step was kept."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def failure_status(exc: BaseException | None) -> int:
    """The status of an unhandled exception: 503 for an unreachable database, 507 for a full
    media disk (both with ``Retry-After``: they heal), else 500."""
    if database_unavailable(exc):
        return 503
    return 507 if storage_full(exc) else 500


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PATH_PREFIXES)


def error_response(
    request: HttpRequest, *, status: int, exception: Exception | None = None
) -> HttpResponse:
    """The answer for an error ``status`` (400, 403, 404, 500, 503, 507): JSON on API paths,
    else the branded page (500.html, 503.html and 507.html are rendered without the request:
    its context may be what broke). A 503 or 507 says when to try again (``Retry-After``)."""
    if is_api_request(request):
        detail = str(_API_DETAIL[status])
        if request.path_info.startswith(GEOREPORT_PATH_PREFIX):
            body = [{"code": status, "description": detail}]
            response = JsonResponse(body, safe=False, status=status)
        else:
            response = JsonResponse({"detail": detail}, status=status)
    elif status in (503, 507):
        response = _server_error_page(request, template_name=f"{status}.html", status=status)
    elif status == 500:
        return _server_error_page(request)
    else:
        return _PAGES[status](request, exception=exception or Exception())
    if status in (503, 507):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _server_error_page(
    request: HttpRequest, template_name: str = "500.html", status: int = 500
) -> HttpResponse:
    try:
        response = defaults.server_error(request, template_name=template_name)
        response.status_code = status
        return response
    except Exception:
        # The page failed too (a static file missing from the manifest made every page a 500
        # here once): a bare answer, not an exception escaping to the WSGI server.
        logger.exception("The 500 page could not be rendered")
        return HttpResponse(FALLBACK_500, status=status)


# Django's error handlers (gridgov.urls: handler400 ... handler500).
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_response(request, status=400, exception=exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_response(request, status=403, exception=exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_response(request, status=404, exception=exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the exception is being handled: an unreachable database is a 503, a full
    # media disk a 507.
    return error_response(request, status=failure_status(sys.exc_info()[1]))


# --- DEBUG ----------------------------------------------------------------------------------


def may_see_technical_pages(request: HttpRequest) -> bool:
    """A signed-in superuser. Anything failing on the way (the session's database) means no."""
    try:
        user = request.user
        return bool(user.is_authenticated and user.is_active and user.is_superuser)
    except Exception:
        return False


class _TracebackForSuperusersReporter(ExceptionReporter):
    """Django's technical 500 (and its DEBUG 400) page, for superusers only. For anyone else
    the page is left empty and the request marked: the middleware answers in its place.
    Logging is not affected (loggers and mail use their own reporter)."""

    def _hidden(self) -> bool:
        if self.request is None or may_see_technical_pages(self.request):
            return False
        self.request._technical_page_hidden = failure_status(self.exc_value)
        return True

    def get_traceback_html(self) -> str:
        return "" if self._hidden() else super().get_traceback_html()

    def get_traceback_text(self) -> str:
        return "" if self._hidden() else super().get_traceback_text()


class TechnicalPagesForSuperusersMiddleware:
    """Under DEBUG only (absent otherwise): what is not for a signed-in superuser gets the
    production answer instead of Django's technical 404 or 500 page.

    First in MIDDLEWARE, so it sees every response, also one made from an exception raised in
    another middleware. Technical 500 (and 400) pages come through Django's per-request
    exception reporter; technical 404 pages have no such hook: a 404 the view raised is
    answered in ``process_exception``, a path that matched no URL is answered here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.DEBUG:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.exception_reporter_class = _TracebackForSuperusersReporter
        response = self.get_response(request)
        hidden = getattr(request, "_technical_page_hidden", None)
        if hidden:
            status = hidden if hidden in (503, 507) else response.status_code
            return error_response(request, status=status)
        unmatched = response.status_code == 404 and request.resolver_match is None
        if unmatched and not may_see_technical_pages(request):
            return error_response(request, status=404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404) and not may_see_technical_pages(request):
            return error_response(request, status=404, exception=exception)
        return None
