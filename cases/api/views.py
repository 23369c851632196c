"""Views of the REST API (DESIGN §7). Thin: scoping comes from the selectors, every write
from a service; errors map to HTTP in ``cases.api.exceptions``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from cases.models import Case, Category
from cases.selectors import (
    case_events,
    cases_visible_to,
    category_choices,
    get_case_for,
    open_cases_near,
)
from cases.services import file_case, set_loaded
from grids.access import current_assignments
from grids.models import Department, GridCell
from grids.selectors import active_assignments, departments_visible_to, visible_cells
from grids.spatial import cell_id_at, territory_stamp
from idempotency.api import IDEMPOTENCY_KEY, once
from workflows.models import Notification
from workflows.notifications import inbox, mark_all_read, mark_read
from workflows.services import SERVICES, add_to_case
from workflows.transitions import Actor

from . import serializers as s
from .filters import CaseFilter
from .pagination import ApiPagination

# Ids in URLs are digits that fit a 64-bit integer; anything else is a 404 from the router
# rather than a database error.
ID_REGEX = r"[0-9]{1,18}"

ERRORS = {
    400: OpenApiResponse(description="Field errors: {field: [messages]}"),
    403: OpenApiResponse(
        description="Your role may not do this, you are not the person, or you have no current "
        "assignment"
    ),
    404: OpenApiResponse(description="No such case in your scope"),
    409: OpenApiResponse(
        description="Not allowed in the case's current state: {detail, status, allowed_actions}"
    ),
}


# --- cases ------------------------------------------------------------------------------------


def _transition_view(name: str):
    """The ``POST /cases/{id}/<name>/`` endpoint: parse the body with ``ACTION_INPUTS[name]``
    (the pages use the same serializer), call ``SERVICES[name]``.

    The method is named after the action (``dispatch_``/``return_`` where the name is taken
    by ``APIView.dispatch`` or is a keyword); DRF maps the HTTP method to that name.
    """

    serializer_class = s.ACTION_INPUTS[name]

    def view(self: CaseViewSet, request: Request, pk: str) -> Response:
        return self.run_transition(name, serializer_class, request, pk)

    view.__name__ = view.__qualname__ = TRANSITION_ATTRS.get(name, name)
    request_schema: object = serializer_class
    if "photos" in serializer_class().fields:  # multipart, for the photos
        request_schema = {
            "multipart/form-data": serializer_class,
            "application/json": serializer_class,
        }
    view = action(
        detail=True,
        methods=["post"],
        url_path=name,
        url_name=name.replace("_", "-"),
        serializer_class=serializer_class,
        filter_backends=[],
        pagination_class=None,
    )(view)
    return extend_schema(
        operation_id=f"cases_{name}",
        summary=f"{name} a case",
        description=SERVICES[name].__doc__,
        parameters=[IDEMPOTENCY_KEY],
        request=request_schema,
        responses={200: s.CaseDetailSerializer, **ERRORS},
    )(view)


TRANSITION_ATTRS = {"dispatch": "dispatch_", "return": "return_"}
# What ``CaseDetailSerializer`` reads beyond the case's row.
DETAIL_PREFETCH = ("attachments", "parts__department", "summonses__department")


class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases in the requesting user's scope (``cases.selectors.cases_visible_to``)."""

    lookup_value_regex = ID_REGEX
    serializer_class = s.CaseSerializer
    pagination_class = ApiPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilter

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        # The selector joins what a list shows except the reporter, which the API shows too.
        queryset = cases_visible_to(self.request.user, current_assignments(self.request))
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(*DETAIL_PREFETCH)
        return queryset

    def get_serializer_class(self) -> type[Serializer]:
        if self.action == "retrieve":
            return s.CaseDetailSerializer
        return super().get_serializer_class()

    def get_serializer_context(self) -> dict:
        # One Actor per request: allowed_actions then costs no query per case.
        context = super().get_serializer_context()
        if not hasattr(self, "_actor"):
            self._actor = Actor.of(self.request.user, current_assignments(self.request))
        context["actor"] = self._actor
        return context

    def _case_response(self, case: Case, *, code: int = status.HTTP_200_OK) -> Response:
        """The case a write answers with, its photos, parts and summonses read in one query
        each (what ``create`` already set on the case is not read again)."""
        prefetch_related_objects([case], *DETAIL_PREFETCH)
        data = s.CaseDetailSerializer(case, context=self.get_serializer_context()).data
        return Response(data, status=code)

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request={
            "multipart/form-data": s.CaseCreateSerializer,
            "application/json": s.CaseCreateSerializer,
        },
        responses={
            201: s.CaseDetailSerializer,
            200: OpenApiResponse(s.CaseDetailSerializer, description="A repeat: the case filed"),
            400: ERRORS[400],
            403: ERRORS[403],
            409: OpenApiResponse(description="The Idempotency-Key was used for another request"),
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        """File a case at a point (``cases.services.create_case``). With an
        ``Idempotency-Key`` header (a UUID), a repeat of the same request within 7 days
        answers 200 with the case already filed; another request under the key is a 409."""
        actors = []

        def perform() -> Case:
            serializer = s.CaseCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            intake = file_case(
                by=request.user,
                assignments=current_assignments(request),  # the gate read them
                **serializer.validated_data,
            )
            actors.append(intake.actor)
            return intake.case

        case, replayed = once(request, perform)
        if actors:
            self._actor = actors[0]  # the roles intake read: allowed_actions needs no query
        if not replayed:  # just filed: no co-departments nor summonses (吹哨报到) to read
            set_loaded(case, "parts", [])
            set_loaded(case, "summonses", [])
        return self._case_response(case, code=200 if replayed else status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.CaseEventSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request: Request, pk: str) -> Response:
        """The case's timeline, oldest first."""
        case = get_case_for(request.user, int(pk), assignments=current_assignments(request))
        return Response(s.CaseEventSerializer(case_events(case), many=True).data)

    @extend_schema(
        parameters=[s.NearbyQuerySerializer],
        responses={200: s.NearbyCaseSerializer(many=True), 400: ERRORS[400]},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def nearby(self, request: Request) -> Response:
        """Open cases of a category within 50 m of a point, in your scope, nearest first
        (at most 5): "already reported?" before filing a duplicate."""
        query = s.NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        near = open_cases_near(
            request.user,
            lon=query.validated_data["lon"],
            lat=query.validated_data["lat"],
            category_code=query.validated_data["category"],
        )
        pairs = [{"case": case, "distance_m": round(distance, 1)} for case, distance in near]
        return Response(s.NearbyCaseSerializer(pairs, many=True).data)

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request={
            "multipart/form-data": s.ResultSerializer,
            "application/json": s.ResultSerializer,
        },
        responses={200: s.CaseDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def supplement(self, request: Request, pk: str) -> Response:
        """Already reported? Add to it: your note and photos on an open case you may see,
        as a ``supplement`` event on its timeline, instead of a duplicate report. The case
        keeps its state and reporter; a finished case is a 409 (file a new report). With an
        ``Idempotency-Key`` a repeat answers 200 without adding twice."""

        def perform() -> Case:
            body = s.ResultSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            return add_to_case(case_id=int(pk), by=request.user, **body.validated_data)

        case, _replayed = once(request, perform)
        return self._case_response(case)

    def run_transition(
        self, name: str, serializer_class: type[Serializer], request: Request, pk: str
    ) -> Response:
        def perform() -> Case:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            service: Callable[..., Case] = SERVICES[name]
            return service(case_id=int(pk), by=request.user, **serializer.validated_data)

        case, _replayed = once(request, perform)
        return self._case_response(case)

    accept = _transition_view("accept")
    reject = _transition_view("reject")
    merge = _transition_view("merge")
    dispatch_ = _transition_view("dispatch")
    assign_binding = _transition_view("assign_binding")
    return_ = _transition_view("return")
    start = _transition_view("start")
    report = _transition_view("report")
    request_extension = _transition_view("request_extension")
    approve_extension = _transition_view("approve_extension")
    refuse_extension = _transition_view("refuse_extension")
    suspend = _transition_view("suspend")
    resume = _transition_view("resume")
    verify_pass = _transition_view("verify_pass")
    verify_fail = _transition_view("verify_fail")
    self_resolve = _transition_view("self_resolve")
    reopen = _transition_view("reopen")
    decline_reopen = _transition_view("decline_reopen")
    add_codepartment = _transition_view("add_codepartment")
    report_part = _transition_view("report_part")
    release_part = _transition_view("release_part")
    summon = _transition_view("summon")
    check_in = _transition_view("check_in")
    request_transfer = _transition_view("request_transfer")
    approve_transfer = _transition_view("approve_transfer")
    refuse_transfer = _transition_view("refuse_transfer")


# --- reference lists --------------------------------------------------------------------------


class CategoryListView(ListAPIView):
    """Active sub-categories a case can be filed under."""

    serializer_class = s.CategorySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return category_choices()


class DepartmentListView(ListAPIView):
    """Active departments of the districts the user serves (dispatch targets)."""

    serializer_class = s.DepartmentSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Department]:
        if getattr(self, "swagger_fake_view", False):
            return Department.objects.none()
        return departments_visible_to(self.request.user)


# A rendered cell list is kept this long at most (a territory change makes a new ETag anyway,
# but a raw UPDATE that skips ``updated_at`` would not).
CELLS_CACHED_SECONDS = 3600


class CellListView(APIView):
    """The cells the user serves, with GeoJSON geometry; with ``lon`` and ``lat`` only the cell
    at that point (an empty list if it is in no cell, or in one the user does not serve)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("lon", float, description="WGS-84 longitude"),
            OpenApiParameter("lat", float, description="WGS-84 latitude"),
        ],
        responses={200: s.CellSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        query = s.CellQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cells: QuerySet[GridCell] = visible_cells(request.user)
        if "lon" in query.validated_data:
            found = cell_id_at(query.validated_data["lon"], query.validated_data["lat"])
            cells = cells.filter(pk=found) if found else cells.none()
        elif request.accepted_renderer.format == "json":
            return self._all_cells(request, cells)
        return Response(s.CellSerializer(cells, many=True).data)

    def _all_cells(self, request: Request, cells: QuerySet[GridCell]) -> HttpResponse:
        """Every cell the user serves: the dashboard's map and the phone's offline store
        fetch them on each load (a district's 3,000 polygons are a megabyte and took two
        seconds to serialise). The answer's ETag is the territory's version and the reader's
        cells: a revalidation is a 304, and the body is rendered once per ETag (shared
        through the cache by every worker)."""
        ids = list(cells.values_list("id", flat=True))
        digest = hashlib.sha256(repr((territory_stamp(), ids)).encode()).hexdigest()[:32]
        headers = {"ETag": f'"cells-{digest}"', "Cache-Control": "private, no-cache"}
        if headers["ETag"] in parse_etags(request.headers.get("If-None-Match", "")):
            return HttpResponseNotModified(headers=headers)
        key = f"gridgov:cells:{digest}"
        body = cache.get(key)
        if body is None:
            data = s.CellSerializer(cells, many=True).data
            body = request.accepted_renderer.render(data, renderer_context={"request": request})
            cache.set(key, body, timeout=CELLS_CACHED_SECONDS)
        return HttpResponse(body, content_type="application/json", headers=headers)


# --- the user ---------------------------------------------------------------------------------


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The requesting user's own in-app inbox, newest first."""

    serializer_class = s.NotificationSerializer
    pagination_class = ApiPagination
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return inbox(self.request.user)

    @extend_schema(request=None, responses={200: s.NotificationSerializer, 404: ERRORS[404]})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """Mark one of your notifications read (idempotent: the first read time is kept)."""
        try:
            notification = mark_read(user=request.user, notification_id=int(pk))
        except Notification.DoesNotExist as exc:
            raise NotFound() from exc
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(description='`{"marked": n}`: how many were unread.')},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark all your unread notifications read."""
        return Response({"marked": mark_all_read(user=request.user)})


class MeView(APIView):
    """Who the API thinks you are: roles and the territory ids of your active assignments."""

    @extend_schema(responses={200: s.MeSerializer})
    def get(self, request: Request) -> Response:
        user = request.user
        roles, cells, streets, departments = set(), set(), set(), set()
        for role, cell, street, community_street, cell_street, department in active_assignments(
            user
        ).values_list(
            "role",
            "cell_id",
            "street_id",
            "community__street_id",
            "cell__community__street_id",
            "department_id",
        ):
            roles.add(role)
            cells.add(cell)
            streets.update((street, community_street, cell_street))
            departments.add(department)
        user.roles = sorted(roles)
        user.cells = sorted(cells - {None})
        user.streets = sorted(streets - {None})
        user.departments = sorted(departments - {None})
        return Response(s.MeSerializer(user).data)
