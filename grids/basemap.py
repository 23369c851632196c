"""The base map (底图) under every Leaflet map: a tile service on the internet (天地图 with a
key, OpenStreetMap, any XYZ/WMTS template) or tiles from a local MBTiles/PMTiles file that
GridGov serves itself (``/tiles/…``, grids.tiles), for networks with no internet.

Settings (README "Base map"):
- ``MAP_TILE_URL``: a Leaflet URL template (``{z}``, ``{x}``, ``{y}``, ``{s}``).
- ``MAP_TILE_LABELS_URL``: an optional second layer drawn on top (天地图's ``cva`` labels).
- ``MAP_TILE_ATTRIBUTION``, ``MAP_TILE_SUBDOMAINS``, ``MAP_TILE_MAX_ZOOM``.
- ``MAP_TILES_FILE``: a ``.mbtiles`` or ``.pmtiles`` file; when set it wins over the URL.

With none of them the maps draw polygons alone (DESIGN §7) and say how to add a base map.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

LOCAL_TILES = "/tiles/{z}/{x}/{y}.%s"


def _template_urls() -> list[str]:
    return [u for u in (settings.MAP_TILE_URL, settings.MAP_TILE_LABELS_URL) if u]


def tile_origins() -> list[str]:
    """The origins the browser loads tiles from (for the CSP's ``img-src``): each URL
    template's scheme and host, with ``{s}`` expanded to every subdomain. Local tiles are
    ``'self'`` already. A template with ``{s}`` and no subdomains is a configuration error."""
    if settings.MAP_TILES_FILE:
        return []
    origins: list[str] = []
    for url in _template_urls():
        parts = urlsplit(url)
        if not parts.scheme:
            continue  # relative: served by GridGov itself
        hosts = [parts.netloc]
        if "{s}" in parts.netloc:
            if not settings.MAP_TILE_SUBDOMAINS:
                raise ImproperlyConfigured("MAP_TILE_URL has {s}: set MAP_TILE_SUBDOMAINS")
            hosts = [parts.netloc.replace("{s}", s) for s in settings.MAP_TILE_SUBDOMAINS]
        origins += [f"{parts.scheme}://{host}" for host in hosts]
    return list(dict.fromkeys(origins))


def base_map_config(*, show_hint: bool) -> dict:
    """What static/js/basemap.js needs: the layers' URL templates and their options, or,
    with no base map configured, the hint that says how to add one (``show_hint``: to signed-in
    users only; a resident cannot act on it)."""
    if settings.MAP_TILES_FILE:
        from .tiles import tile_format  # opens the file: only when it is configured

        return {
            "url": LOCAL_TILES % tile_format(),
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "maxZoom": settings.MAP_TILE_MAX_ZOOM,
        }
    if not settings.MAP_TILE_URL:
        hint = _("No base map: set MAP_TILE_URL or MAP_TILES_FILE (README, “Base map”).")
        return {"hint": hint if show_hint else ""}
    return {
        "url": settings.MAP_TILE_URL,
        "labels": settings.MAP_TILE_LABELS_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "subdomains": settings.MAP_TILE_SUBDOMAINS,
        "maxZoom": settings.MAP_TILE_MAX_ZOOM,
    }


def context(request) -> dict:
    """Template context processor: ``basemap`` for the JSON block every page carries."""
    user = getattr(request, "user", None)
    return {"basemap": base_map_config(show_hint=bool(user and user.is_authenticated))}
