"""``/report/``: a grid worker files a case from the phone in a few taps; ``/hotline/``:
street staff enter a resident's call (the same form, with the caller's contact)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases.forms import HotlineForm, ReportForm, add_service_errors
from cases.models import Case, CaseSource
from cases.photos.capture import attach_captures
from cases.selectors import category_choices
from cases.services import create_case
from grids.access import assignment_required
from grids.models import Role
from residents.visits import own_visit
from workflows.errors import WorkflowError

from .common import role_required

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


@assignment_required
def report(request: HttpRequest) -> HttpResponse:
    """A field worker's report (巡查上报)."""
    return _report_page(request, form_class=ReportForm, source=CaseSource.PATROL)


@role_required(Role.STREET_STAFF)
def hotline(request: HttpRequest) -> HttpResponse:
    """A call to the street office's hotline (热线), entered by street staff: the caller is a
    resident, who gets a tracking code (read out on the phone, and by SMS) and rates the
    result like any resident."""
    return _report_page(request, form_class=HotlineForm, source=CaseSource.HOTLINE)


def _report_page(request: HttpRequest, *, form_class, source: str) -> HttpResponse:
    hotline = source == CaseSource.HOTLINE
    # ``?visit=<id>``: a problem found on one's own visit (走访) starts at the household's
    # address, is filed as a visit's case and is linked to the household it serves.
    visit = None if hotline else own_visit(request.user, request.GET.get("visit"))
    if visit is not None:
        source = CaseSource.VISIT
    initial = {"address": visit.household.address} if visit else {}
    form = form_class(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = create_case(
                    by=request.user,
                    source=source,
                    photos=attach_captures(request.POST, request.FILES.getlist("photos")),
                    contact=form.contact() if hotline else None,
                    household_id=visit.household_id if visit else None,
                    **form.service_kwargs(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except WorkflowError as exc:
                form.add_error(None, str(exc))
                status = exc.http_status
            else:
                if hotline:  # the code is read out to the caller now, and never shown again
                    return render(request, "cases/hotline_done.html", {"case": case})
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
            "hotline": hotline,
            "categories": categories,
            "favourites": [by_code[code] for code in favourites if code in by_code]
            or categories[:FAVOURITES],
        },
        status=status,
    )
