"""What the page views share: the requesting user's Actor and the action forms' context."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from cases.models import Attachment, Case
from grids.selectors import departments_visible_to, user_roles
from workflows.transitions import ACTION_LABELS, Actor, allowed_actions


def actor_of(request: HttpRequest) -> Actor:
    """The user's roles, loaded once per request (``allowed_actions`` needs them per case)."""
    if not hasattr(request, "_gridgov_actor"):
        request._gridgov_actor = Actor.of(request.user)
    return request._gridgov_actor


def with_actions(request: HttpRequest, cases) -> list[Case]:
    """The cases, each with ``.actions``: [(action, label)] the user may take now, and
    ``.action_names``, the set of those actions."""
    actor = actor_of(request)
    cases = list(cases)
    for case in cases:
        case.actions = [
            (action, ACTION_LABELS[action])
            for action in allowed_actions(case, request.user, actor=actor)
        ]
        case.action_names = {action for action, _label in case.actions}
    return cases


def dispatch_targets(request: HttpRequest) -> list:
    """Departments the user may dispatch to (one query; call only when dispatch is offered)."""
    return list(departments_visible_to(request.user).only("id", "name"))


def role_required(*roles: str) -> Callable:
    """A page for these roles only: others get 403 (signed out: the login page)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not user_roles(request.user) & set(roles):
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
