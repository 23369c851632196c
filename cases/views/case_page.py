"""``/cases/<id>/``: one case — facts, countdown, photos, timeline, the actions allowed now;
``/cases/``: the filtered list the dashboards drill down into."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cases.api.filters import CaseFilter
from cases.api.pagination import COUNT_CAP, CappedCountPaginator
from cases.models import Attachment, Case, CaseContact
from cases.photos.strip import burnt_in, strip_lines
from cases.selectors import (
    case_events,
    case_photos_for,
    cases_visible_to,
    get_case_for,
    household_history,
)
from cases.services import set_photo_public
from grids.access import assignment_required, current_assignments
from grids.models import Role
from residents.masking import mask_email, mask_phone
from workflows.clocks import MAX_REVIEW_DAYS, suspended_time
from workflows.errors import WorkflowError
from workflows.models import NotificationKind, SlaNotice
from workflows.notifications import mark_case_read
from workflows.transitions import ACTION_LABELS

from .common import actor_of, dispatch_targets, serve_photo, signed_in, with_actions

LIST_PAGE_SIZE = 50
# The actions whose forms pick a department (or several).
DEPARTMENT_CHOICES = frozenset(
    {"dispatch", "assign_binding", "add_codepartment", "release_part", "summon", "request_transfer"}
)
# A timeline step is named after its action; the first step is the report itself.
EVENT_LABELS = {
    "create": _("reported"),
    "request_reopen": _("resident says it is not fixed"),
    "supplement": _("added to (already reported)"),
} | ACTION_LABELS


def _actor_label(event, case: Case) -> str:
    """Who took a step: the user, a resident (no account), or GridGov itself (routing)."""
    if event.actor is not None:
        return str(event.actor)
    if event.payload.get("by") == "resident" or (event.action == "create" and not case.reporter_id):
        return str(_("a resident"))
    return "GridGov"


@dataclass(frozen=True)
class SlaStep:
    """The SLA scanner's record of a case (``SlaNotice``) as a timeline step: the people it
    concerned heard of it in a digest, the case keeps it here."""

    action: str
    action_label: str
    at: datetime
    note: str
    actor_label: str = "GridGov"


SLA_LABELS = {
    NotificationKind.REMINDER: _("reminder (催办)"),
    NotificationKind.OVERDUE: _("overdue: yellow card (督办)"),
    NotificationKind.ESCALATION: _("twice the time limit: red card (督办)"),
}


def _sla_step(notice: SlaNotice) -> SlaStep:
    params = {
        "due": date_format(timezone.localtime(notice.due_at), "Y-m-d H:i")
        if notice.due_at
        else "—",
        "count": notice.told,
    }
    if notice.department is None:
        return SlaStep(
            action=f"sla-{notice.kind}",
            action_label=SLA_LABELS[notice.kind],
            at=notice.at,
            note=_("Due %(due)s; %(count)d people told.") % params,
        )
    return SlaStep(  # a co-department's part (协办)
        action=f"sla-part-{notice.kind}",
        action_label=SLA_LABELS[notice.kind],
        at=notice.at,
        note=_("%(department)s's part (协办), due %(due)s; %(count)d people told.")
        % (params | {"department": notice.department.name}),
    )


def sla_steps(case: Case) -> list[SlaStep]:
    return [_sla_step(notice) for notice in case.sla_notices.select_related("department")]


def case_context(request: HttpRequest, case: Case, **extra) -> dict:
    """What the case page and its htmx panel render: the case with its actions, the timeline
    with each step's photos, and the choices the offered forms need."""
    (case,) = with_actions(request, [case])
    events = list(
        case_events(case).prefetch_related(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.select_related("capture_cell")
                .defer("capture_cell__geometry")
                .order_by("id"),
            )
        )
    )
    for event in events:
        event.action_label = EVENT_LABELS.get(event.action, event.action)
        event.actor_label = _actor_label(event, case)
    events = sorted(events + sla_steps(case), key=lambda step: step.at)
    offered = case.action_names
    street_staff = Role.STREET_STAFF in actor_of(request).roles
    return {
        "case": case,
        "events": events,
        "departments": dispatch_targets(request) if offered & DEPARTMENT_CHOICES else [],
        # 吹哨报到: the co-departments' parts and the summonses, for everyone who sees the case.
        "parts": list(case.parts.select_related("department")),
        "summonses": list(case.summonses.select_related("department")),
        "duplicates": (
            list(case.duplicate_candidates.select_related("candidate").order_by("distance_m"))
            if "merge" in offered
            else []
        ),
        # The street's staff call residents back and decide what the public sees.
        "contact": _contact(case) if street_staff else None,
        "can_publish": street_staff and case.category.public,
        "max_review_days": MAX_REVIEW_DAYS,
        "suspended_for": suspended_time(case, now=timezone.now()),
        "household_history": household_history(request.user, case),
        **extra,
    }


def _contact(case: Case) -> dict | None:
    """The resident reporter's contact as the case page shows it: masked (the whole number is
    for the call itself, not for the screen)."""
    contact = CaseContact.objects.filter(case=case).first()
    if contact is None or contact.erased_at:
        return None
    return {
        "name": contact.name,
        "phone": mask_phone(contact.phone) if contact.phone else "",
        "email": mask_email(contact.email) if contact.email else "",
    }


@assignment_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The case; opening it reads the user's notices about it (the inbox links here)."""
    case = get_case_for(request.user, pk, assignments=current_assignments(request))
    mark_case_read(user=request.user, case_id=case.pk)
    return render(request, "cases/case_page.html", case_context(request, case))


@signed_in
def case_photo(
    request: HttpRequest, pk: int, attachment_id: int, *, thumbnail: bool = False
) -> HttpResponse:
    """A case's photo or its thumbnail, to users who may see the case (photos may show
    people: never public). The API's photo URLs point here."""
    return serve_photo(case_photos_for(request.user, pk), attachment_id, thumbnail=thumbnail)


@signed_in
def photo_export(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A copy of the photo with its evidence strip burnt in (the stored original has none),
    for the users who may see the case; a download named after the case."""
    try:
        attachment = (
            case_photos_for(request.user, pk)
            .select_related("case", "event__actor", "capture_cell")
            .get(pk=attachment_id)
        )
        with attachment.file.open("rb") as f:
            data = f.read()
    except (Attachment.DoesNotExist, OSError):
        raise Http404("no such photo") from None
    by = attachment.event.actor if attachment.event else attachment.case.reporter
    response = HttpResponse(
        burnt_in(data, strip_lines(attachment, by=by)), content_type="image/jpeg"
    )
    name = f"{attachment.case.number}-{attachment.pk}.jpg"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@assignment_required
@require_POST
def photo_public(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """Street staff show a photo on the public map, or take it back (the case panel again)."""
    try:
        set_photo_public(
            case_id=pk,
            attachment_id=attachment_id,
            by=request.user,
            public=request.POST.get("public") == "1",
        )
    except WorkflowError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    case = get_case_for(request.user, pk, assignments=current_assignments(request))
    if request.htmx:
        return render(request, "cases/_case_panel.html", case_context(request, case))
    return redirect("case-page", pk=pk)


@assignment_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases in scope with the API's filters (status, category, cell, street, overdue,
    source, date range), newest first, 50 a page; the count stops at 10,000."""
    visible = cases_visible_to(request.user, current_assignments(request))
    filterset = CaseFilter(request.GET, queryset=visible)
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
