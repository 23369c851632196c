"""``POST /cases/<id>/act/<action>/``: every action button and form of the pages.

The body is parsed by the API's serializer for that action (``ACTION_INPUTS``) and handed to
the action's service, so a page and the API can never disagree. Answers: with htmx, the
fragment that replaced the form (the queue item or the case panel), carrying the refusal or
the field errors; without htmx, a redirect to the case page (or the page with errors).
Status codes as in the API: 400 field errors, 403 not this user's to do, 404 out of scope,
409 not in this state.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.api.exceptions import validation_detail
from cases.api.serializers import ACTION_INPUTS
from cases.models import Case
from cases.selectors import department_suggestions, get_case_for
from grids.access import assignment_required, current_assignments
from workflows.errors import WorkflowError
from workflows.services import SERVICES, accept_and_dispatch_case
from workflows.transitions import ACTION_LABELS

from .case_page import case_context
from .common import dispatch_targets, with_actions
from .queue import SUGGESTION_KEYS

# The queue's one-keystroke path (``accept_and_dispatch_case``: both steps or neither).
ACCEPT_AND_DISPATCH = "accept_dispatch"


class Refused(Exception):
    """A refused action, with what the page shows and the HTTP status it answers with."""

    def __init__(self, *, status: int, message: str = "", errors: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or {}


def _parsed(action: str, data) -> dict:
    serializer = ACTION_INPUTS[action](data=data)
    if not serializer.is_valid():
        raise Refused(status=400, errors={k: list(v) for k, v in serializer.errors.items()})
    return serializer.validated_data


def _posted(request: HttpRequest):
    data = request.POST.copy()
    if request.FILES:
        data.setlist("photos", request.FILES.getlist("photos"))
    return data


def run_action(action: str, case_id: int, request: HttpRequest, *, data=None) -> Case:
    """Call the action's service with ``data`` (the request's body if None), parsed by the
    action's input serializer; turn every refusal into ``Refused``."""
    data = _posted(request) if data is None else data
    try:
        if action == ACCEPT_AND_DISPATCH:
            fields = {**_parsed("dispatch", data), **_parsed("accept", data)}
            return accept_and_dispatch_case(case_id=case_id, by=request.user, **fields)
        return SERVICES[action](case_id=case_id, by=request.user, **_parsed(action, data))
    except ValidationError as exc:
        raise Refused(status=400, errors=validation_detail(exc)) from exc
    except WorkflowError as exc:
        raise Refused(status=exc.http_status, message=str(exc)) from exc
    except Http404 as exc:
        raise Refused(status=404, message=str(exc)) from exc


def done_message(case: Case, action: str) -> str:
    """What the page says after ``action`` on ``case``: its number, the action, its state
    (and the department it went to)."""
    label = _("accepted and dispatched") if action == ACCEPT_AND_DISPATCH else ACTION_LABELS[action]
    done = _("%(number)s: %(action)s — now %(status)s.") % {
        "number": case.number,
        "action": label,
        "status": case.get_status_display(),
    }
    if case.department_id and action in ("dispatch", ACCEPT_AND_DISPATCH):
        done += " → " + case.department.name
    return done


@assignment_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in SERVICES and action != ACCEPT_AND_DISPATCH:
        raise Http404("no such action")
    in_queue = request.POST.get("from") == "queue"
    try:
        case = run_action(action, pk, request)
    except Refused as refused:
        return _refused(request, pk, action, refused, in_queue=in_queue)
    done = done_message(case, action)
    if not request.htmx:
        messages.success(request, done)
        return redirect("case-page", pk=case.pk)
    if in_queue:
        return render(request, "cases/_queue_done.html", {"case": case, "done": done})
    # reloaded with what the panel shows
    case = get_case_for(request.user, pk, assignments=current_assignments(request))
    return render(request, "cases/_case_panel.html", case_context(request, case, done=done))


def _refused(
    request: HttpRequest, pk: int, action: str, refused: Refused, *, in_queue: bool
) -> HttpResponse:
    """Show why, in place: the queue item or the case panel with the refusal on top."""
    if refused.status == 404:
        raise Http404("no such case")
    case = get_case_for(request.user, pk, assignments=current_assignments(request))
    context = {"refusal": refused.message, "errors": refused.errors, "failed_action": action}
    if in_queue and request.htmx:
        (case,) = with_actions(request, [case])
        case.suggested = department_suggestions([case]).get(case.pk, [])[:SUGGESTION_KEYS]
        tab = request.POST.get("tab", "new")
        context |= {"case": case, "departments": dispatch_targets(request), "tab": tab}
        return render(request, "cases/_queue_item.html", context, status=refused.status)
    template = "cases/_case_panel.html" if request.htmx else "cases/case_page.html"
    return render(request, template, case_context(request, case, **context), status=refused.status)
