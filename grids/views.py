"""``/tiles/<z>/<x>/<y>.<ext>``: the base map's tiles from the local file (grids.tiles).

Public like the resident portal's map that draws on them: tiles show streets, never a case or a
person. Cached by browsers and proxies for ``MAP_TILES_MAX_AGE`` seconds."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from .tiles import CONTENT_TYPES, read_tile, tile_format


@require_GET
def tile(request: HttpRequest, z: int, x: int, y: int, ext: str) -> HttpResponse:
    if not settings.MAP_TILES_FILE or ext != tile_format():
        raise Http404("no such tile")
    data = read_tile(z, x, y)
    if data is None:
        raise Http404("no such tile")
    response = HttpResponse(data, content_type=CONTENT_TYPES[ext])
    patch_cache_control(response, public=True, max_age=settings.MAP_TILES_MAX_AGE)
    return response
