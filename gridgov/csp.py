"""The Content-Security-Policy middleware: django-csp's, with one exception for a page whose
templates are not ours, and the base map's tile hosts added to ``img-src`` (derived from the
settings, grids.basemap). settings.CONTENT_SECURITY_POLICY holds the policy itself."""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase
from rest_framework.renderers import BrowsableAPIRenderer

from grids.basemap import tile_origins


class GridGovCSPMiddleware(CSPMiddleware):
    """DRF's browsable API (``/api/v1/…`` opened in a browser) styles its pages with style
    attributes and a ``<style>`` block in its own templates: its responses, and no others, may
    use inline styles. Scripts stay GridGov's own everywhere. Every answer may load images from
    the configured tile hosts."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if isinstance(getattr(response, "accepted_renderer", None), BrowsableAPIRenderer):
            parts.update = {**(parts.update or {}), "style-src": [UNSAFE_INLINE]}
        if origins := tile_origins():
            parts.update = {**(parts.update or {}), "img-src": origins}
        return parts
