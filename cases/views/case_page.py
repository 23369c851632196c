"""``/cases/<id>/``: one case — facts, countdown, photos, timeline, the actions allowed now;
``/cases/``: the filtered list the dashboards drill down into."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from cases.api.filters import CaseFilter
from cases.api.pagination import COUNT_CAP, CappedCountPaginator
from cases.models import Attachment, Case
from cases.selectors import case_events, case_photos_for, cases_visible_to, get_case_for
from workflows.transitions import ACTION_LABELS

from .common import dispatch_targets, serve_photo, signed_in, with_actions

LIST_PAGE_SIZE = 50
# A timeline step is named after its action; the first step is the report itself.
EVENT_LABELS = {"create": _("reported")} | ACTION_LABELS


def case_context(request: HttpRequest, case: Case, **extra) -> dict:
    """What the case page and its htmx panel render: the case with its actions, the timeline
    with each step's photos, and the choices the offered forms need."""
    (case,) = with_actions(request, [case])
    events = list(
        case_events(case).prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
        )
    )
    for event in events:
        event.action_label = EVENT_LABELS.get(event.action, event.action)
    offered = case.action_names
    return {
        "case": case,
        "events": events,
        "departments": dispatch_targets(request) if "dispatch" in offered else [],
        "duplicates": (
            list(case.duplicate_candidates.select_related("candidate").order_by("distance_m"))
            if "merge" in offered
            else []
        ),
        **extra,
    }


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for(request.user, pk)
    return render(request, "cases/case_page.html", case_context(request, case))


@signed_in
def case_photo(
    request: HttpRequest, pk: int, attachment_id: int, *, thumbnail: bool = False
) -> HttpResponse:
    """A case's photo or its thumbnail, to users who may see the case (photos may show
    people: never public). The API's photo URLs point here."""
    return serve_photo(case_photos_for(request.user, pk), attachment_id, thumbnail=thumbnail)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases in scope with the API's filters (status, category, cell, street, overdue,
    source, date range), newest first, 50 a page; the count stops at 10,000."""
    filterset = CaseFilter(request.GET, queryset=cases_visible_to(request.user))
    if not filterset.is_valid():
        return render(
            request, "cases/case_list.html", {"filterset": filterset, "page": None}, status=400
        )
    paginator = CappedCountPaginator(filterset.qs, LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "filterset": filterset,
            "page": page,
            "capped": paginator.full_count > COUNT_CAP,
            "query": query.urlencode(),
        },
    )
