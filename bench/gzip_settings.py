"""Settings of the bench's own web server (bench/offline_report.py): GridGov's, with
responses gzip-compressed as the front proxy compresses them in production, so that the
bytes counted are the bytes a phone receives."""

from gridgov.settings import *  # noqa: F403
from gridgov.settings import MIDDLEWARE

MIDDLEWARE = ["django.middleware.gzip.GZipMiddleware", *MIDDLEWARE]
# Static files straight from the checkout (no collectstatic step for a bench).
WHITENOISE_USE_FINDERS = True
