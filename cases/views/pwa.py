"""The field worker's installable app (PWA, DESIGN §8 "Field work"): the web app manifest and
the service worker that keeps the worker's pages, categories and cells on the phone so
``/`` and ``/report/`` open with no network (the queue of reports made offline is
``static/js/offline/outbox.js``).

Both are public: they hold no data, only the names of the pages and files to keep. The
worker is served from ``/sw.js`` so that its scope is the whole site.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import etag, require_GET

# What the report form needs, kept on install (other static files are kept when first used).
SHELL_FILES = (
    "css/gridgov.css",
    "vendor/htmx/htmx.min.js",
    "js/gridgov.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "js/cellmap.js",
    "js/report.js",
    "js/offline/store.js",
    "js/offline/outbox.js",
    "js/offline/forms.js",
    "js/visits.js",
    "img/icon-192.png",
)
PAGES = ("home", "report")
DATA = ("api:category-list", "api:cell-list")


def _version(files: tuple[str, ...]) -> str:
    """A digest of the shell's files: a changed file changes ``/sw.js`` byte for byte, so
    phones install the new worker and fetch the new files (names are only hashed in
    production)."""
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


@require_GET
@etag(lambda request: _version(SHELL_FILES))  # the phone's daily update check is a 304
def service_worker(request: HttpRequest) -> HttpResponse:
    config = {
        "version": _version(SHELL_FILES),
        "shell": [static(name) for name in SHELL_FILES],
        "pages": [reverse(name) for name in PAGES],
        "data": [reverse(name) for name in DATA],
        "static": settings.STATIC_URL,  # static("") has no manifest entry in production
        "login": reverse("login"),
        "me": reverse("api:me"),
        "store": static("js/offline/store.js"),
        # What the outbox keeps as a refusal's reason when the service worker sends.
        "t": {
            "offline": _("No connection: it will be sent by itself when there is signal."),
            "status": _("The server answered %(status)s; trying again."),
        },
    }
    response = render(
        request,
        "cases/sw.js",
        {"config": json.dumps(config)},
        content_type="text/javascript; charset=utf-8",
    )
    # Always asked again (the browser also checks at least daily): a new deploy reaches
    # phones on their next visit.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        {
            "name": _("GridGov field app"),
            "short_name": _("GridGov"),
            "description": _("Report problems in your grid cells, also with no signal."),
            "lang": request.LANGUAGE_CODE,
            "start_url": reverse("home"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f5fbf",
            "icons": [
                {"src": static(f"img/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
                for n in (192, 512)
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "no-cache"
    return response
