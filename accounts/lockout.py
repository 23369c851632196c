"""What a locked-out sign-in gets (django-axes' ``AXES_LOCKOUT_CALLABLE``): 429 Too Many
Requests saying when to try again, as JSON on the API and as the sign-in page elsewhere."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    message = _(
        "Too many failed sign-ins for this account from here. Try again in %(minutes)d minutes, "
        "or ask your administrator to unlock it."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    context = {"locked_out": message, "username": request.POST.get("username", "")}
    return render(request, "registration/login.html", context, status=429)
