"""``/dashboard/``: indicators, grades, trend, cell map and rankings for district
administrators (their district) and street staff (their street).

The page is a shell: its numbers come from the same JSON endpoints a client would use
(``/api/v1/indicators/`` and ``/trend/``), so the page, the API and the exports agree.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.access import assignment_required

from .api import DrilldownQuerySerializer, drilldown_cases
from .drilldown import FIGURES
from .selectors import assessment_scope

# The levels a ranking can show, widest first; street staff start one level down.
RANKINGS = ("street", "community", "cell", "department", "worker")


def _scope_of(request: HttpRequest):
    scope = assessment_scope(request.user)
    if scope is None:
        raise PermissionDenied(_("Assessments are for street staff and district administrators."))
    return scope


@assignment_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = _scope_of(request)
    today = timezone.localdate()
    district_wide = scope.everything or bool(scope.districts)
    return render(
        request,
        "assessment/dashboard.html",
        {
            "start": today.replace(day=1),
            "end": today,
            "top_level": "district" if district_wide else "street",
            "rankings": RANKINGS if district_wide else RANKINGS[1:],
        },
    )


@assignment_required
def figure_cases_page(request: HttpRequest) -> HttpResponse:
    """``/dashboard/cases/?figure=…&level=…&unit=…&start=…&end=…``: the cases behind one
    figure of the dashboard, exactly those counted (``assessment.drilldown``); 400 with the
    reasons for bad parameters, 404 for a unit outside the reader's scope."""
    scope = _scope_of(request)
    query = DrilldownQuerySerializer(data=request.GET)
    if not query.is_valid():
        return render(request, "assessment/figure_cases.html", {"errors": query.errors}, status=400)
    attrs = query.validated_data
    cases = drilldown_cases(request.user, scope, attrs)
    if cases is None:
        raise Http404(_("No such unit in your scope."))
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "assessment/figure_cases.html",
        {
            "label": FIGURES[attrs["figure"]][0],
            "start": attrs["start"],
            "end": attrs["end"],
            "page": page,
            "query": params.urlencode(),
        },
    )
