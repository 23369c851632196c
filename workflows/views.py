"""``/inbox/``: the user's notifications (the count is in every page's header)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from grids.access import assignment_required

from .models import Notification
from .notifications import inbox as inbox_of
from .notifications import mark_read

INBOX_SIZE = 50


@assignment_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request, "workflows/inbox.html", {"notifications": inbox_of(request.user)[:INBOX_SIZE]}
    )


@assignment_required
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; then follow it to its case when asked to (``open``)."""
    try:
        notification = mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404("no such notification") from None
    if request.POST.get("open") and notification.case_id:
        return redirect("case-page", pk=notification.case_id)
    if request.htmx:
        return render(request, "workflows/_notification.html", {"n": notification})
    return redirect("inbox")
