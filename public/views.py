"""Pages of the resident portal (``/public/``): no account, phone first.

Thin: intake, ratings, reopen requests, "me too" and survey answers are the services'
(``cases.services``, ``assessment.services``, ``workflows.services``); what the public sees is
``public.selectors``'. Limits per address and contact are ``public.limits``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment.forms import RatingForm
from assessment.services import answer_survey, rate_by_resident
from cases.forms import add_service_errors
from cases.models import CaseSource, normalize_tracking_code
from cases.selectors import category_choices
from cases.services import file_case, support_case
from cases.views.common import serve_photo
from grids.models import GridCell
from grids.selectors import user_roles
from grids.spatial import cell_at
from residents.crypto import pii_hash
from workflows.errors import WorkflowError
from workflows.services import REOPEN_DAYS, request_reopen

from . import selectors
from .forms import MAX_PHOTOS, PublicReportForm, ReopenForm, SurveyForm
from .limits import over_limit
from .qr import poster_svg

DEVICE_COOKIE = "gg_device"


def _too_many(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    context["limited"] = _("Too many submissions from here. Please try again later.")
    return render(request, template, context, status=429)


def _device(request: HttpRequest) -> tuple[str, bool]:
    """This browser's random id (kept in a cookie) and whether it is new."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if len(value) == 32 and value.isalnum():
        return value, False
    return secrets.token_hex(16), True


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    district = selectors.portal_district()
    return render(request, "public/index.html", {"district": district})


def _staff_notice(request: HttpRequest) -> bool:
    """Signed in with a role: report from your own page (a worker's report is patrol, not a
    resident's, and must not count as the public's)."""
    return request.user.is_authenticated and bool(user_roles(request.user))


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    form = PublicReportForm(request.POST or None)
    context = {
        "form": form,
        "categories": category_choices().filter(public=True),
        "max_photos": MAX_PHOTOS,
        "staff_notice": _staff_notice(request),
        "district": selectors.portal_district(),
    }
    if request.method == "GET":
        return render(request, "public/report.html", context)
    if context["staff_notice"]:
        raise PermissionDenied(_("You are signed in with a role: report from your own page."))
    photos = request.FILES.getlist("photos")
    if len(photos) > MAX_PHOTOS:
        form.add_error(None, _("At most %(n)d photos.") % {"n": MAX_PHOTOS})
    if form.is_robot():
        form.add_error(None, _("Your report could not be accepted."))
    if form.is_valid():
        contact = form.contact()
        try:
            key = contact.cleaned().key
        except ValidationError:
            key = ""  # the service reports the bad part; no per-contact count for it
        if over_limit(request, "report", contact_key=key):
            return _too_many(request, "public/report.html", context)
        try:
            case = file_case(
                by=None,
                source=CaseSource.RESIDENT,
                contact=contact,
                photos=photos,
                **form.service_kwargs(),
            ).case
        except ValidationError as exc:
            add_service_errors(form, exc)
        except WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(reverse("public:track", kwargs={"code": case.tracking_code}) + "?new=1")
    return render(request, "public/report.html", context, status=400)


def _track_context(case, **extra) -> dict:
    followed = case.duplicate_of if case.duplicate_of_id else case
    progress = selectors.progress_of(followed)
    return {
        "case": case,
        "followed": followed,
        "progress": progress,
        "own": selectors.progress_of(case) if followed is not case else progress,
        "reopen_days": REOPEN_DAYS,
        "rated": hasattr(case, "satisfaction") and case.satisfaction.is_rated,
        **extra,
    }


@require_GET
def track_lookup(request: HttpRequest) -> HttpResponse:
    """The "follow your report" box: a code as typed (dashes, spaces, any case)."""
    code = normalize_tracking_code(request.GET.get("code", ""))
    if not code:
        return redirect("public:index")
    return redirect("public:track", code=code)


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, code: str) -> HttpResponse:
    """A resident's case by its tracking code: progress in plain words; once closed, a rating
    (once) and, within ``REOPEN_DAYS``, "it is not fixed"."""
    case = selectors.case_by_tracking_code(code)
    if case is None:
        raise Http404("No case has this tracking code.")
    rating, reopen = RatingForm(prefix="rate"), ReopenForm(prefix="reopen")
    status = 200
    if request.method == "POST":
        if over_limit(request, "track"):
            return _too_many(request, "public/track.html", _track_context(case))
        if "rate-score" in request.POST:
            form = rating = RatingForm(request.POST, prefix="rate")
            act = rate_by_resident
        else:
            form = reopen = ReopenForm(request.POST, prefix="reopen")
            act = request_reopen
        if form.is_valid():
            try:
                act(tracking_code=case.tracking_code, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except WorkflowError as exc:
                form.add_error(None, str(exc))
                status = exc.http_status
            else:
                return redirect("public:track", code=case.tracking_code)
        status = status if status != 200 else 400
    context = _track_context(case, rating=rating, reopen=reopen, new=request.GET.get("new"))
    return render(request, "public/track.html", context, status=status)


@require_GET
def track_photo(request: HttpRequest, code: str, attachment_id: int) -> HttpResponse:
    case = selectors.case_by_tracking_code(code)
    if case is None:
        raise Http404("No case has this tracking code.")
    return serve_photo(selectors.resident_photos(case), attachment_id)


@require_GET
def public_photo(request: HttpRequest, attachment_id: int) -> HttpResponse:
    return serve_photo(selectors.public_photos(), attachment_id)


@require_GET
def public_map(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.public_cases(), 30).get_page(request.GET.get("page"))
    items = [selectors.PublicCase.of(case) for case in page.object_list]
    return render(
        request,
        "public/map.html",
        {"page": page, "items": items, "district": selectors.portal_district()},
    )


def _feature(item: selectors.PublicCase) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
        "properties": {
            "number": item.number,
            "category": item.category,
            "stage": item.stage,
            "open": item.open,
            "department": item.department,
            "created_at": item.created_at.isoformat(),
            "supporters": item.supporters,
        },
    }


@require_GET
def map_json(request: HttpRequest) -> JsonResponse:
    """The newest public cases as GeoJSON points (rounded locations)."""
    cases = selectors.public_cases()[: selectors.MAP_LIMIT]
    features = [_feature(selectors.PublicCase.of(case)) for case in cases]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@require_GET
@cache_control(public=True, max_age=3600)
def area_json(request: HttpRequest) -> JsonResponse:
    """The portal district's outline and its streets' (with names): what a resident's map
    shows to find their way when it has no base layer."""
    district = selectors.portal_district()
    if district is None:
        return JsonResponse({"district": None, "streets": []})
    streets = district.streets.order_by("full_code").values("name", "geometry")
    return JsonResponse(
        {
            "district": {"name": district.name, "geometry": district.geometry},
            "streets": list(streets),
        }
    )


def _point(request: HttpRequest) -> tuple[float, float]:
    try:
        lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
    except (KeyError, ValueError):
        raise ValidationError(_("Give lon and lat as numbers.")) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(_("Give lon and lat as numbers."))
    return lon, lat


@require_GET
def where(request: HttpRequest) -> JsonResponse:
    """Which grid cell a point is in (for the report page), or why it cannot be reported
    there, and the open public cases already reported within 100 m."""
    try:
        lon, lat = _point(request)
    except ValidationError as exc:
        return JsonResponse({"error": exc.messages[0]}, status=400)
    cell = cell_at(lon, lat)
    if cell is None:
        return JsonResponse(
            {
                "inside": False,
                "message": _(
                    "This point is outside the district. Move the marker to where the problem is."
                ),
            }
        )
    geometry = GridCell.objects.filter(pk=cell.pk).values_list("geometry", flat=True).first()
    nearby = [_feature(item) for item in selectors.nearby_open_cases(lon, lat)]
    return JsonResponse(
        {
            "inside": True,
            "cell": cell.name,
            "community": cell.community.name,
            "geometry": geometry,
            "nearby": nearby,
        }
    )


@require_POST
def support(request: HttpRequest, number: str) -> HttpResponse:
    """附议 "me too" on an open public case: one per browser."""
    case_id = selectors.public_cases().filter(number=number).values_list("pk", flat=True).first()
    if case_id is None:
        raise Http404("No such public case.")
    device, new = _device(request)
    if over_limit(request, "support"):
        return JsonResponse({"error": _("Too many submissions from here.")}, status=429)
    try:
        count = support_case(case_id=case_id, fingerprint=pii_hash(f"device:{device}"))
    except ValidationError as exc:
        return JsonResponse({"error": exc.messages[0]}, status=409)
    response = JsonResponse({"supporters": count})
    if new:
        response.set_cookie(
            DEVICE_COOKIE, device, max_age=3 * 365 * 86400, httponly=True, samesite="Lax"
        )
    return response


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, cell_code: str) -> HttpResponse:
    """网格服务测评: how well the grid worker serves this cell, once a quarter per person."""
    cell = GridCell.objects.select_related("community__street").filter(full_code=cell_code).first()
    if cell is None:
        raise Http404("No such grid cell.")
    form = SurveyForm(request.POST or None)
    context = {"cell": cell, "form": form}
    if request.method == "GET":
        return render(request, "public/survey.html", context)
    if over_limit(request, "survey"):
        return _too_many(request, "public/survey.html", context)
    if form.is_valid():
        data = form.cleaned_data
        try:
            answer_survey(
                cell_code=cell_code,
                score=data["score"],
                comment=data["comment"],
                contact=form.contact(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "public/survey.html", {**context, "done": True})
    return render(request, "public/survey.html", context, status=400)


def absolute_url(request: HttpRequest, path: str) -> str:
    """A link for print or SMS: on ``SITE_URL`` when set (the address residents use), else
    on the host this request came to."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


@require_GET
def poster(request: HttpRequest, cell_code: str) -> HttpResponse:
    """A printable poster for the cell: its grid worker's survey as a QR code."""
    cell = GridCell.objects.select_related("community__street").filter(full_code=cell_code).first()
    if cell is None:
        raise Http404("No such grid cell.")
    url = absolute_url(request, reverse("public:survey", kwargs={"cell_code": cell_code}))
    context = {
        "cell": cell,
        "url": url,
        "qr": poster_svg(url),
        "report_url": absolute_url(request, reverse("public:report")),
    }
    return render(request, "public/poster.html", context)
