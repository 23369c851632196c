"""``/report/``: a grid worker files a case from the phone in a few taps."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases.forms import ReportForm
from cases.models import Case
from cases.selectors import category_choices
from cases.services import create_case
from workflows.errors import WorkflowError

FAVOURITES = 6


def _favourite_codes(user) -> list[str]:
    """The sub-categories this user files most often, most used first (one query)."""
    return list(
        Case.objects.filter(reporter=user)
        .values("category__code")
        .annotate(n=Count("id"))
        .order_by("-n", "category__code")
        .values_list("category__code", flat=True)[:FAVOURITES]
    )


@login_required
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = create_case(
                    by=request.user,
                    photos=request.FILES.getlist("photos"),
                    **form.service_kwargs(),
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            except WorkflowError as exc:
                form.add_error(None, str(exc))
                status = exc.http_status
            else:
                messages.success(
                    request, _("Reported as %(number)s. Thank you.") % {"number": case.number}
                )
                return redirect("case-page", pk=case.pk)
        status = status if status != 200 else 400
    categories = list(category_choices())
    favourites = _favourite_codes(request.user)
    by_code = {c.code: c for c in categories}
    return render(
        request,
        "cases/report.html",
        {
            "form": form,
            "categories": categories,
            "favourites": [by_code[code] for code in favourites if code in by_code]
            or categories[:FAVOURITES],
        },
        status=status,
    )


def _add_service_errors(form: ReportForm, exc: ValidationError) -> None:
    """A service's field errors on the form's fields (``title`` is derived from the
    description, ``photos`` has its own input shown by the template)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        target = {"title": "description", "category_code": "category"}.get(field, field)
        if target in form.fields:
            form.add_error(target, errors)
        elif field == "photos":  # the messages name the photo themselves
            form.add_error(None, errors)
        else:
            form.add_error(None, [f"{field}: {message}" for message in errors])
