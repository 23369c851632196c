"""``/dashboard/``: indicators, grades, trend, cell map and rankings for district
administrators (their district) and street staff (their street).

The page is a shell: its numbers come from the same JSON endpoints a client would use
(``/api/v1/indicators/`` and ``/trend/``), so the page, the API and the exports agree.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from grids.access import assignment_required

from .selectors import assessment_scope

# The levels a ranking can show, widest first; street staff start one level down.
RANKINGS = ("street", "community", "cell", "department", "worker")


@assignment_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = assessment_scope(request.user)
    if scope is None:
        raise PermissionDenied("Assessments are for street staff and district administrators.")
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
