"""What the page views share: the requesting user's Actor, the action forms' context, and
serving a photo (the one way a stored photo leaves the server)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from cases.api.serializers import ACTION_INPUTS
from cases.models import Attachment, Case
from cases.models.joint import preload_joint_departments
from grids.access import assignment_required, current_assignments, current_roles
from grids.selectors import departments_visible_to
from workflows.transitions import ACTION_LABELS, TRANSITIONS, Actor, allowed_actions


def actor_of(request: HttpRequest) -> Actor:
    """The user's roles, loaded once per request (``allowed_actions`` needs them per case)."""
    if not hasattr(request, "_gridgov_actor"):
        request._gridgov_actor = Actor.of(request.user, current_assignments(request))
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
    preload_joint_departments(cases)
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


def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``assignment_required`` that also takes the API's credentials: the API hands its
    clients these pages' photo URLs, and an app signs its requests with a token, not a
    session. Credentials sent but refused: 401; none at all: the sign-in page; no current
    assignment: the no-role page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated and "HTTP_AUTHORIZATION" in request.META:
            authenticators = [auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
            try:
                user = Request(request, authenticators=authenticators).user
            except APIException:  # credentials refused
                user = None
            if user is None or not user.is_authenticated:
                response = HttpResponse(status=401)
                challenges = [a.authenticate_header(request) for a in authenticators]
                response["WWW-Authenticate"] = next(filter(None, challenges), "Token")
                return response
            request.user = user
        return assignment_required(view)(request, *args, **kwargs)

    return wrapper


def _handed_to_web_server(photo: FieldFile, content_type: str) -> HttpResponse | None:
    """An empty answer telling nginx (X-Accel-Redirect) or Apache/lighttpd (X-Sendfile) to
    send the file, if ``PHOTO_SERVE_HEADER`` asks for that and the file is on local disk."""
    header = settings.PHOTO_SERVE_HEADER
    if not header:
        return None
    try:
        path = photo.storage.path(photo.name)
    except NotImplementedError:  # an object store: there is no file for the server to send
        return None
    if not photo.storage.exists(photo.name):
        raise Http404("photo file missing")
    response = HttpResponse(content_type=content_type)
    if header == "X-Sendfile":
        response[header] = path
    else:
        response[header] = settings.PHOTO_ACCEL_PREFIX + quote(photo.name)
    return response


def serve_photo(
    attachments: QuerySet[Attachment], attachment_id: int, *, thumbnail: bool = False
) -> HttpResponse:
    """The photo ``attachment_id`` among ``attachments`` (already narrowed to what the user
    may see), or its thumbnail (the photo itself for rows from before thumbnails), read
    through the storage API or handed to the web server (``PHOTO_SERVE_HEADER``); privately
    cached. 404 if it is not among them or its file is gone."""
    try:
        attachment = attachments.get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404("no such photo") from None
    photo, content_type = attachment.file, attachment.content_type
    if thumbnail and attachment.thumbnail:
        photo, content_type = attachment.thumbnail, "image/jpeg"
    return serve_file(photo, content_type)


def serve_file(photo: FieldFile, content_type: str) -> HttpResponse:
    """A stored photo (the caller checked scope), handed to the web server or streamed;
    privately cached; 404 if its file is gone."""
    response = _handed_to_web_server(photo, content_type)
    if response is None:
        try:
            response = FileResponse(photo.open("rb"), content_type=content_type)
        except OSError:  # the row outlived its file (restored database, cleaned media folder)
            raise Http404("photo file missing") from None
    response["Cache-Control"] = "private, max-age=86400"  # photos may show people: not public
    return response
