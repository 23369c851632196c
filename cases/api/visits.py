"""``/api/v1/visits/``: a worker's visits (走访) from the phone — log one (note, GPS fix, an
optional photo through the photo pipeline, so it is here above ``residents``), list and read
one's own, undo within ``residents.visits.UNDO_MINUTES``. Logging honours ``Idempotency-Key``
like filing a case, so the phone's outbox may repeat it until an answer arrives."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from cases.visits import prepare_visit_photo
from idempotency.api import IDEMPOTENCY_KEY, once
from residents.models import Household, Visit
from residents.visits import UndoTooLate, can_undo, fix_from, record_visit, undo_deadline
from residents.visits import undo_visit as undo_visit_service

from .pagination import ApiPagination

ID_REGEX = r"[0-9]{1,18}"
NOTE_MAX = Visit._meta.get_field("note").max_length


class VisitCreateSerializer(serializers.Serializer):
    household = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    note = serializers.CharField(
        allow_blank=True, default="", max_length=NOTE_MAX, help_text="Optional"
    )
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False)
    accuracy = serializers.FloatField(
        min_value=0, max_value=100_000, required=False, help_text="GPS accuracy, metres"
    )
    fixed_at = serializers.DateTimeField(required=False, help_text="When the phone took the fix")
    photo = serializers.FileField(
        required=False,
        allow_empty_file=False,
        help_text="Optional, multipart: a JPEG, PNG or WebP, stored re-encoded without metadata",
    )

    def validate(self, attrs: dict) -> dict:
        """The fix and the photo by the page's rules (``residents.visits.fix_from``,
        ``cases.visits.prepare_visit_photo``): ``fix`` and ``photo`` come out ready for
        ``record_visit``; a refusal is a 400 on the field, as on the page."""
        attrs["fix"] = fix_from(
            lon=attrs.get("lon"),
            lat=attrs.get("lat"),
            accuracy=attrs.get("accuracy"),
            fixed_at=attrs.get("fixed_at"),
        )
        attrs["photo"] = prepare_visit_photo(attrs.get("photo"))
        return attrs


class VisitSerializer(serializers.ModelSerializer):
    address = serializers.CharField(source="household.address", read_only=True)
    photo_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    undo_until = serializers.SerializerMethodField()
    can_undo = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "household",
            "address",
            "visited_at",
            "note",
            "lon",
            "lat",
            "accuracy_m",
            "fixed_at",
            "fix_cell",
            "photo_url",
            "thumbnail_url",
            "undo_until",
            "can_undo",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_photo_url(self, visit: Visit) -> str | None:
        return reverse("visit-photo", args=[visit.pk]) if visit.photo else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thumbnail_url(self, visit: Visit) -> str | None:
        return reverse("visit-photo-thumbnail", args=[visit.pk]) if visit.photo else None

    @extend_schema_field(serializers.DateTimeField())
    def get_undo_until(self, visit: Visit):
        return serializers.DateTimeField().to_representation(undo_deadline(visit))

    def get_can_undo(self, visit: Visit) -> bool:
        return can_undo(visit)


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The requesting worker's own visits (走访), newest first; others' are 404."""

    serializer_class = VisitSerializer
    pagination_class = ApiPagination
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[Visit]:
        if getattr(self, "swagger_fake_view", False):
            return Visit.objects.none()
        return (
            Visit.objects.filter(worker=self.request.user)
            .select_related("household")
            .order_by("-visited_at", "-pk")
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request={
            "multipart/form-data": VisitCreateSerializer,
            "application/json": VisitCreateSerializer,
        },
        responses={
            201: VisitSerializer,
            200: OpenApiResponse(VisitSerializer, description="A repeat: the visit logged"),
            400: OpenApiResponse(description="Field errors: {field: [messages]}"),
            403: OpenApiResponse(description="No current assignment"),
            404: OpenApiResponse(description="No such household among those you serve"),
            409: OpenApiResponse(
                description="The Idempotency-Key was used for another request, or its visit "
                "was undone since"
            ),
        },
    )
    def create(self, request: Request) -> Response:
        """Log a visit to a household you serve, now (``residents.visits.record_visit``):
        an optional note, the phone's GPS fix (its cell is kept for the integrity rules) and
        an optional photo. With an ``Idempotency-Key`` a repeat within 7 days answers 200
        with the visit already logged; another request under the key is a 409."""

        def perform() -> Visit:
            body = VisitCreateSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            try:
                return record_visit(
                    household_id=body.validated_data["household"],
                    by=request.user,
                    note=body.validated_data["note"],
                    fix=body.validated_data["fix"],
                    photo=body.validated_data["photo"],
                )
            except Household.DoesNotExist:
                raise NotFound(_("No such household among those you serve.")) from None

        visit, replayed = once(request, perform)
        code = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        return Response(self.get_serializer(visit).data, status=code)

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Undone"),
            404: OpenApiResponse(description="No such visit of yours"),
            409: OpenApiResponse(description="Too late to undo: {detail} says since when"),
        },
    )
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: str) -> Response:
        """Take back your own visit within 5 minutes of logging it."""
        try:
            undo_visit_service(visit_id=int(pk), by=request.user)
        except Visit.DoesNotExist:
            raise NotFound() from None
        except UndoTooLate as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
