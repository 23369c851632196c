"""GridGov's URLs plus views that fail, for tests/gridgov/test_error_pages.py."""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from gridgov.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def broken(request):
    raise RuntimeError("a bug: secret-detail-in-the-traceback")


def suspicious(request):
    raise SuspiciousOperation("secret-detail-in-the-traceback")


urlpatterns = [
    path("broken/", broken),
    path("api/v1/broken/", broken),
    path("suspicious/", suspicious),
    *urlpatterns,
]
