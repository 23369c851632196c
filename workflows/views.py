"""``/inbox/``: the user's notifications grouped by case (the count is in every page's
header); mark one or all read."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from grids.access import assignment_required

from .models import Notification
from .notifications import inbox_by_case, mark_all_read, mark_read

INBOX_SIZE = 50


@assignment_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workflows/inbox.html",
        {"threads": inbox_by_case(request.user, limit=INBOX_SIZE)},
    )


@assignment_required
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read."""
    try:
        notification = mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404("no such notification") from None
    if request.htmx:
        return render(request, "workflows/_notification.html", {"n": notification})
    return redirect("inbox")


@assignment_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    mark_all_read(user=request.user)
    return redirect("inbox")
