"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at ``/open311/v2/``.

Thin: requests are filed by the portal's intake (``cases.services.file_case``, source
``open311``), read under the portal's public rules (``public.selectors``), and limited like
the portal's reports (``public.limits``). Every answer, errors included, is a GeoReport
document in the format the URL names: errors are ``[{"code", "description"}]`` lists with
the HTTP status (400 a bad or missing field, 403 a missing or wrong ``api_key``, 404 an
unknown request, service, token or jurisdiction, 429 too many requests).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cases.models import OPEN_STATUSES, CaseSource, CaseStatus
from cases.services import file_case
from grids.models import District
from grids.spatial import cell_at
from public.limits import over_limit
from public.selectors import case_by_tracking_code
from public.views import absolute_url
from workflows.errors import WorkflowError

from . import present, selectors
from .attributes import answered_lines
from .forms import RequestsQuery, ServiceRequestForm
from .media import MediaError, fetch_media
from .render import errors, respond

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00+08:00"  # when this endpoint's behaviour last changed
# The intake service's field names as Open311 calls them.
FIELD_OF = {
    "title": "description",
    "category": "service_code",
    "lon": "long",
    "name": "first_name",
    "photos": "media",
}


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = list(descriptions)


def _field_errors(errors_by_field: dict[str, list[str]]) -> Open311Error:
    lines = []
    for field, messages in errors_by_field.items():
        name = FIELD_OF.get(field, field)
        lines += [f"{name}: {m}" if field != "__all__" else str(m) for m in messages]
    return Open311Error(400, *lines)


def georeport(*, methods: tuple[str, ...] = ("GET",)) -> Callable:
    """Wrap an endpoint: the methods it answers, the optional ``jurisdiction_id`` (a
    district's 6-digit code, passed on as ``district``), and errors as GeoReport lists."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt  # API clients post with a key, not a browser session
        @wraps(view)
        def wrapper(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise Open311Error(405, _("Use %(m)s.") % {"m": " or ".join(methods)})
                params = request.POST if request.method == "POST" else request.GET
                district = None
                if params.get("jurisdiction_id"):
                    district = District.objects.filter(code=params["jurisdiction_id"]).first()
                    if district is None:
                        raise Open311Error(404, _("No such jurisdiction_id."))
                return view(request, *args, fmt=fmt, district=district, **kwargs)
            except Open311Error as exc:
                return errors(fmt, exc.status, exc.descriptions)

        return wrapper

    return decorate


@georeport()
def discovery(request: HttpRequest, *, fmt: str, district) -> HttpResponse:
    url = absolute_url(request, reverse("open311:root"))
    return respond(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": _("The district's grid management centre"),
            "key_service": _("Ask the district's grid management centre for an API key."),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": url,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@georeport()
def service_list(request: HttpRequest, *, fmt: str, district) -> HttpResponse:
    return respond(fmt, "services", [present.service(c) for c in selectors.services()])


@georeport()
def service_definition(request: HttpRequest, service_code: str, *, fmt: str, district):
    category = selectors.service(service_code)
    if category is None:
        raise Open311Error(404, _("No such service_code."))
    return respond(fmt, "service_definition", present.service_definition(category))


def _requests(request: HttpRequest, fmt: str, rows) -> HttpResponse:
    def photo_url(attachment_id: int) -> str:
        return absolute_url(request, reverse("public:photo", args=[attachment_id]))

    rows = list(rows)
    items = present.service_requests(rows, names=selectors.Names.of(rows), photo_url=photo_url)
    return respond(fmt, "service_requests", items)


def _filtered(query: RequestsQuery, rows):
    data = query.cleaned_data
    if data["service_request_id"]:  # the spec: ids override every other argument
        return rows.filter(number__in=data["service_request_id"])
    if data["service_code"]:
        rows = rows.filter(category__code__in=data["service_code"])
    if data["start_date"]:
        rows = rows.filter(created_at__gte=data["start_date"])
    if data["end_date"]:
        rows = rows.filter(created_at__lte=data["end_date"])
    if len(set(data["status"])) == 1:
        wanted = sorted(OPEN_STATUSES) if data["status"][0] == "open" else [CaseStatus.CLOSED]
        rows = rows.filter(status__in=wanted)
    return rows


@georeport(methods=("GET", "POST"))
def service_requests(request: HttpRequest, *, fmt: str, district) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt=fmt, district=district)
    query = RequestsQuery(request.GET)
    if not query.is_valid():
        raise _field_errors(query.errors)
    rows = _filtered(query, selectors.request_rows(district=district))
    return _requests(request, fmt, rows[: selectors.MAX_REQUESTS])


@georeport()
def request_detail(request: HttpRequest, request_id: str, *, fmt: str, district):
    rows = list(selectors.request_rows(district=district).filter(number=request_id))
    if not rows:
        raise Open311Error(404, _("No such service_request_id."))
    return _requests(request, fmt, rows)


@georeport()
def token(request: HttpRequest, token: str, *, fmt: str, district) -> HttpResponse:
    case = case_by_tracking_code(token)
    if case is None:
        raise Open311Error(404, _("No such token."))
    items = [{"service_request_id": case.number, "token": case.tracking_code}]
    return respond(fmt, "service_requests", items)


def _client(request: HttpRequest):
    key = request.POST.get("api_key", "")
    if not key:
        raise Open311Error(403, _("api_key is required to post a request."))
    client = selectors.active_client(key)
    if client is None:
        raise Open311Error(403, _("This api_key is not valid."))
    return client


def _point(form: ServiceRequestForm, district) -> tuple[float, float]:
    """Where the request is: its lat/long, else the grid cell its address_string names; and
    inside the jurisdiction asked for."""
    point = form.point()
    if point is None:
        cell = selectors.cell_named_in(form.cleaned_data["address_string"], district=district)
        if cell is None:
            raise Open311Error(
                400, _("address_string: no grid cell or community of that name; give lat/long.")
            )
        inside = cell.shape().representative_point()
        return inside.x, inside.y
    if district is not None:
        cell = cell_at(*point)
        if cell is not None and cell.community.street.district_id != district.pk:
            raise Open311Error(400, _("lat/long: this point is outside the jurisdiction."))
    return point


def _with_answers(request: HttpRequest, form: ServiceRequestForm) -> dict:
    """The intake's arguments, the answers to the service's attributes added to the
    description (where street staff read the report)."""
    service_kwargs = form.service_kwargs()
    try:
        attributes = selectors.attributes_of(form.cleaned_data["service_code"])
        lines = answered_lines(attributes, request.POST)
    except ValidationError as exc:
        raise _field_errors(exc.message_dict) from None
    if lines:
        service_kwargs["description"] += "\n" + "\n".join(lines)
    return service_kwargs


def _post_request(request: HttpRequest, *, fmt: str, district) -> HttpResponse:
    client = _client(request)
    form = ServiceRequestForm(request.POST, request.FILES)
    if not form.is_valid():
        raise _field_errors(form.errors)
    allowed = {c.code for c in client.services.all()}
    if allowed and form.cleaned_data["service_code"] not in allowed:
        raise Open311Error(403, _("This api_key may not post this service_code."))
    contact = form.contact()
    try:
        key = contact.cleaned().key
    except ValidationError:
        key = ""  # the service reports the bad part
    if over_limit(request, "open311", caller=str(client.pk), contact_key=key):
        raise Open311Error(429, _("Too many requests. Please try again later."))
    lon, lat = _point(form, district)
    service_kwargs = _with_answers(request, form)
    photos = [form.cleaned_data["media"]] if form.cleaned_data["media"] else []
    try:
        if form.cleaned_data["media_url"]:
            photos.append(fetch_media(form.cleaned_data["media_url"]))
        case = file_case(
            by=None,
            source=CaseSource.OPEN311,
            contact=contact,
            photos=photos,
            lon=lon,
            lat=lat,
            **service_kwargs,
        ).case
    except MediaError as exc:
        raise Open311Error(400, f"media_url: {exc}") from None
    except ValidationError as exc:
        raise _field_errors(exc.message_dict) from None
    except WorkflowError as exc:
        raise Open311Error(exc.http_status, str(exc)) from None
    track = absolute_url(request, reverse("public:track", kwargs={"code": case.tracking_code}))
    item = {
        "service_request_id": case.number,
        "token": case.tracking_code,
        "service_notice": _("Follow it at %(url)s") % {"url": track},
        "account_id": "",
    }
    return respond(fmt, "service_requests", [item])
