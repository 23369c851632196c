"""What the page views share: the requesting user's Actor and the action forms' context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from cases.api.serializers import ACTION_INPUTS
from cases.models import Attachment, Case
from grids.access import assignment_required, current_roles
from grids.selectors import departments_visible_to
from workflows.transitions import ACTION_LABELS, TRANSITIONS, Actor, allowed_actions


def actor_of(request: HttpRequest) -> Actor:
    """The user's roles, loaded once per request (``allowed_actions`` needs them per case)."""
    if not hasattr(request, "_gridgov_actor"):
        request._gridgov_actor = Actor.of(request.user)
    return request._gridgov_actor


@dataclass(frozen=True)
class ActionForm:
    """An action offered on a page, with what its form asks for: the fields of its input
    serializer (``ACTION_INPUTS``) and those the transition requires (``TRANSITIONS``)."""

    action: str
    label: str
    fields: frozenset[str]
    required: frozenset[str]

    @classmethod
    def of(cls, action: str) -> ActionForm:
        return cls(
            action=action,
            label=ACTION_LABELS[action],
            fields=frozenset(ACTION_INPUTS[action]().fields),
            required=frozenset(TRANSITIONS[action].required),
        )


ACTION_FORMS = {action: ActionForm.of(action) for action in ACTION_INPUTS}


def with_actions(request: HttpRequest, cases) -> list[Case]:
    """The cases, each with ``.actions``: the ``ActionForm`` of every action the user may
    take now, and ``.action_names``, the set of those actions."""
    actor = actor_of(request)
    cases = list(cases)
    for case in cases:
        case.actions = [
            ACTION_FORMS[action] for action in allowed_actions(case, request.user, actor=actor)
        ]
        case.action_names = {form.action for form in case.actions}
    return cases


def dispatch_targets(request: HttpRequest) -> list:
    """Departments the user may dispatch to (one query; call only when dispatch is offered)."""
    return list(departments_visible_to(request.user).only("id", "name"))


def role_required(*roles: str) -> Callable:
    """A page for these roles only: others get 403 (signed out: the login page; without a
    current assignment: the no-role page)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @assignment_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not current_roles(request) & set(roles):
                raise PermissionDenied("This page is for another role.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def serve_photo(attachments: QuerySet[Attachment], attachment_id: int) -> FileResponse:
    """The photo ``attachment_id`` among ``attachments`` (already narrowed to what the user
    may see), privately cached; 404 if it is not among them or its file is gone."""
    try:
        photo = attachments.get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404("no such photo") from None
    try:
        handle = photo.file.open("rb")
    except OSError:  # the row outlived its file (restored database, cleaned media folder)
        raise Http404("photo file missing") from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=86400"  # photos may show people: not public
    return response
