"""The public rating page a reporter reaches by the link sent when their case closed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from .forms import RatingForm
from .models import Satisfaction
from .services import rate_by_link


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the form (or "already rated"); POST: save the rating once. Unknown token: 404.
    No sign-in needed: the token is the reporter's secret."""
    row = get_object_or_404(Satisfaction.objects.select_related("case"), token=token)
    form = RatingForm(request.POST or None)
    status = 200
    if request.method == "POST" and not row.is_rated:
        if form.is_valid():
            try:
                row = rate_by_link(token=token, **form.cleaned_data)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
        if form.errors:
            status = 400
    elif request.method == "POST":
        status = 409
    context = {"row": row, "case": row.case, "form": form, "done": row.is_rated}
    return render(request, "assessment/rate.html", context, status=status)
