"""Serializers of the REST API.

Output serializers read what the selectors joined. Input serializers only parse types and
formats (numbers, dates, lengths that the database would refuse); whether a field is
required, and every other rule, is the service's: so a missing ``reason`` on a closed case
answers 409 (the state) before 400 (the field), exactly as the service orders its checks.
Input fields use the service's keyword names as ``source`` (``category`` → ``category_code``,
``department`` → ``department_id``), so ``validated_data`` is the service's keyword arguments.
"""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CasePart,
    CaseStatus,
    Category,
    Priority,
    Summons,
)
from cases.models.joint import preload_joint_departments
from cases.photos.capture import FIELDS as CAPTURE_FIELDS
from cases.photos.capture import attach_captures
from cases.services import MAX_DESCRIPTION
from grids.models import Department, GridCell
from workflows.models import Notification, NotificationKind
from workflows.transitions import allowed_actions

MB = 1024 * 1024
MAX_ID = 2**63 - 1  # a larger id would overflow the database's integer, not just miss


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _username(source: str) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.username", read_only=True, allow_null=True)


# --- output -----------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class ChoiceLabelField(serializers.Field):
    """The label of a choices field's value (``source``) in the request's language, as the
    model's ``get_<field>_display`` gives it. Pointing a field at that method costs every row
    DRF's inspection of the method's signature and Django's rebuilding of the choices."""

    def __init__(self, choices: type[models.Choices], **kwargs) -> None:
        self.labels = dict(choices.choices)
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return str(self.labels.get(value, value))


class RememberedFieldsMixin:
    """For a ModelSerializer whose fields depend on its class alone: work them out once per
    class, and give each instance copies.

    DRF derives every field from the model and deep-copies the declared ones on each instance
    (labels, choices, validators, nested serializers rebuilt from their arguments): about a
    third of rendering one case. The fields first built for the class are kept unbound; an
    instance gets a shallow copy of each plain field (its own name, parent and source once
    bound; the validators, choices and messages it only reads are shared) and a deep copy of
    each nested serializer (a child is bound to its own list, and reads its context through
    it).
    """

    _prototypes: dict[type, dict[str, serializers.Field]] = {}

    def get_fields(self) -> dict[str, serializers.Field]:
        prototype = self._prototypes.get(type(self))
        if prototype is None:
            prototype = copy.deepcopy(super().get_fields())
            self._prototypes[type(self)] = prototype
        return {
            name: copy.deepcopy(field)
            if isinstance(field, serializers.BaseSerializer)
            else copy.copy(field)
            for name, field in prototype.items()
        }


class CaseListSerializer(serializers.ListSerializer):
    """A page of cases: the joint departments ``allowed_actions`` asks about are read for the
    whole page at once (``preload_joint_departments``)."""

    def to_representation(self, data):
        cases = list(data.all() if hasattr(data, "all") else data)
        preload_joint_departments(cases)
        return super().to_representation(cases)


class CaseSerializer(RememberedFieldsMixin, serializers.ModelSerializer):
    """A case in a list. ``context["actor"]`` (a ``workflows.transitions.Actor``) is the
    requesting user's roles, loaded once per request for ``allowed_actions``."""

    status_display = ChoiceLabelField(CaseStatus, source="status")
    category = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    cell = serializers.CharField(source="cell.full_code", read_only=True)
    street = serializers.CharField(source="street.full_code", read_only=True)
    department = serializers.IntegerField(source="department_id", read_only=True, allow_null=True)
    department_name = serializers.CharField(
        source="department.name", read_only=True, allow_null=True
    )
    handler = _username("handler")
    verifier = _username("verifier")
    reporter = _username("reporter")
    awaiting_binding = serializers.BooleanField(read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Case
        list_serializer_class = CaseListSerializer
        fields = [
            "id",
            "number",
            "title",
            "description",
            "status",
            "status_display",
            "category",
            "category_name",
            "priority",
            "source",
            "lon",
            "lat",
            "address",
            "cell",
            "street",
            "department",
            "department_name",
            "handler",
            "verifier",
            "reporter",
            "due_at",
            "overdue",
            "escalation_level",
            "rework_count",
            "return_count",
            "binding",
            "awaiting_binding",
            "review_at",
            "suspended_seconds",
            "lead_reported_at",
            "open_parts",
            "pending_summons",
            "transfer_to",
            "created_at",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, case: Case) -> list[str]:
        request = self.context["request"]
        return allowed_actions(case, request.user, actor=self.context.get("actor"))


class PhotoSerializer(serializers.ModelSerializer):
    """A photo: where to fetch it and its thumbnail (the scoped page routes, which take the
    API's token as well as a session), its size in pixels, and when and where the camera
    said it was taken (from its EXIF; the file itself carries none)."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    is_far = serializers.BooleanField(read_only=True, help_text="Taken far from the case.")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "stage",
            "content_type",
            "width",
            "height",
            "taken_at",
            "taken_lat",
            "taken_lon",
            "capture_at",
            "capture_lon",
            "capture_lat",
            "capture_accuracy_m",
            "clock_skew_s",
            "capture_distance_m",
            "is_far",
            "url",
            "thumbnail_url",
            "created_at",
        ]
        read_only_fields = fields

    def _absolute(self, route: str, attachment: Attachment) -> str:
        url = reverse(route, args=[attachment.case_id, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        return self._absolute("case-photo", attachment)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, attachment: Attachment) -> str:
        return self._absolute("case-photo-thumbnail", attachment)


class PartSerializer(serializers.ModelSerializer):
    """A co-department's part of a joint case (协办)."""

    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = CasePart
        fields = ["department", "department_name", "note", "due_at", "status", "done_at"]
        read_only_fields = fields


class SummonsSerializer(serializers.ModelSerializer):
    """A department summoned to the site (吹哨) and its check-in (报到)."""

    department_name = serializers.CharField(source="department.name", read_only=True)
    on_time = serializers.BooleanField(read_only=True)

    class Meta:
        model = Summons
        fields = [
            "department",
            "department_name",
            "summoned_at",
            "arrive_by",
            "checked_in_at",
            "distance_m",
            "in_cell",
            "on_time",
            "overdue",
            "escalation_level",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    photos = PhotoSerializer(source="attachments", many=True, read_only=True)
    parts = PartSerializer(many=True, read_only=True)
    summonses = SummonsSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "photos", "parts", "summonses"]
        read_only_fields = fields


class NearbyCaseSerializer(serializers.Serializer):
    """An open case near a point (``cases.selectors.open_cases_near``), for "already
    reported? add to it" on the report form."""

    id = serializers.IntegerField(source="case.id")
    number = serializers.CharField(source="case.number")
    title = serializers.CharField(source="case.title")
    status = serializers.CharField(source="case.status")
    status_display = serializers.CharField(source="case.get_status_display")
    created_at = serializers.DateTimeField(source="case.created_at")
    distance_m = serializers.FloatField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, pair: dict) -> str:
        return reverse("case-page", args=[pair["case"].pk])


class CaseEventSerializer(serializers.ModelSerializer):
    actor = _username("actor")
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["seq", "action", "from_status", "to_status", "actor", "at", "note", "payload"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    priority = serializers.CharField(source="default_priority", read_only=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "family", "priority", "parent_name"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class CellSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="full_code", read_only=True)
    community = serializers.CharField(source="community.full_code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    street = serializers.CharField(source="community.street.full_code", read_only=True)
    street_name = serializers.CharField(source="community.street.name", read_only=True)
    geometry = serializers.JSONField(read_only=True, help_text="GeoJSON polygon, WGS-84")

    class Meta:
        model = GridCell
        fields = [
            "id",
            "code",
            "name",
            "community",
            "community_name",
            "street",
            "street_name",
            "geometry",
        ]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    kind_display = ChoiceLabelField(NotificationKind, source="kind")
    case_number = serializers.CharField(source="case.number", read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_display",
            "message",
            "case",
            "case_number",
            "created_at",
            "read_at",
            "done_at",
        ]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    cells = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    streets = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    departments = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "display_name", "roles", "cells", "streets", "departments"]
        read_only_fields = fields


# --- input ------------------------------------------------------------------------------------


class PointSerializer(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)


class NearbyQuerySerializer(PointSerializer):
    category = serializers.CharField(max_length=16)


class CellQuerySerializer(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False)

    def validate(self, attrs: dict) -> dict:
        if ("lon" in attrs) != ("lat" in attrs):
            missing = "lat" if "lon" in attrs else "lon"
            message = _("Give both lon and lat, or neither.")
            raise serializers.ValidationError({missing: [message]})
        return attrs


def _photos() -> serializers.ListField:
    # Only the type is parsed here; the limits and checks are the photo pipeline's
    # (cases.photos.prepare_photos), called by the service in its turn.
    return serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        default=list,
        help_text=(
            "Photos, as multipart field `photos`: JPEG, PNG or WebP; at most "
            f"{settings.PHOTO_MAX_PER_REQUEST} per request,"
            f" {settings.PHOTO_MAX_FILE_BYTES // MB} MB each"
            f" and {settings.PHOTO_MAX_REQUEST_BYTES // MB} MB together,"
            f" {settings.PHOTO_MAX_PIXELS // 1_000_000} megapixels each. Stored re-encoded as"
            " JPEG without metadata (EXIF capture time and GPS kept as `taken_*`)."
        ),
    )


def _capture_list(what: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        write_only=True,
        help_text=f"Optional, one per photo in the order of `photos`: {what}.",
    )


class PhotoCaptureFields(serializers.Serializer):
    """Optional capture facts beside ``photos`` (cases.photos.capture); checked here and hung
    on the files, so the services' arguments stay ``photos`` alone."""

    photo_taken_at = _capture_list("capture time, ISO 8601, the phone's clock")
    photo_lon = _capture_list("GPS longitude at capture (WGS-84)")
    photo_lat = _capture_list("GPS latitude at capture (WGS-84)")
    photo_accuracy = _capture_list("GPS accuracy at capture, metres")
    client_now = serializers.CharField(
        required=False,
        write_only=True,
        help_text="The phone's clock when sending, ISO 8601: the server measures its skew.",
    )

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        sent = {name: attrs.pop(name, None) or [] for name in CAPTURE_FIELDS}
        sent["client_now"] = [sent["client_now"]] if sent["client_now"] else []
        try:
            attach_captures(sent, attrs.get("photos") or [])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


def _text(max_length: int | None = None, **kwargs) -> serializers.CharField:
    return serializers.CharField(
        allow_blank=True, default="", trim_whitespace=True, max_length=max_length, **kwargs
    )


class CaseCreateSerializer(PhotoCaptureFields, PointSerializer):
    """A new case from the field. ``source`` is the channel's (patrol here) and ``priority``
    the category's, corrected by street staff at acceptance: a body that sends either is
    refused with a 400 naming the field, rather than silently ignored."""

    CHANNEL_FIELDS = ("source", "priority")

    title = _text(
        max_length=Case._meta.get_field("title").max_length,
        help_text="Optional: the description's first clause when blank",
    )
    description = _text(max_length=MAX_DESCRIPTION)
    category = _text(max_length=16, source="category_code", help_text="Sub-category code, C0101")
    address = _text(max_length=Case._meta.get_field("address").max_length)
    photos = _photos()

    def validate(self, attrs: dict) -> dict:
        sent = [name for name in self.CHANNEL_FIELDS if name in self.initial_data]
        if sent:
            raise serializers.ValidationError(
                {
                    name: [
                        _(
                            "Set by the channel and by street staff, not by the reporter: "
                            "leave it out."
                        )
                    ]
                    for name in sent
                }
            )
        return super().validate(attrs)


class NoteSerializer(serializers.Serializer):
    note = _text()


class AcceptSerializer(NoteSerializer):
    category = serializers.CharField(
        source="category_code", max_length=16, allow_null=True, allow_blank=True, default=None
    )
    priority = serializers.ChoiceField(choices=Priority.choices, allow_null=True, default=None)
    cell = serializers.CharField(
        source="cell_code", max_length=15, allow_null=True, allow_blank=True, default=None
    )


class ReasonSerializer(serializers.Serializer):
    reason = _text()


class MergeSerializer(NoteSerializer):
    duplicate_of = _id_field(source="duplicate_of_id", allow_null=True, default=None)


class DispatchSerializer(NoteSerializer):
    department = _id_field(source="department_id", allow_null=True, default=None)
    handler = _id_field(source="handler_id", allow_null=True, default=None)


class ExtensionSerializer(ReasonSerializer):
    due_at = serializers.DateTimeField(allow_null=True, default=None)


class SuspendSerializer(ReasonSerializer):
    review_at = serializers.DateTimeField(
        allow_null=True, default=None, help_text="When the suspension is reviewed (挂账复核)."
    )


class ResultSerializer(PhotoCaptureFields, NoteSerializer):
    photos = _photos()


class VerifyFailSerializer(PhotoCaptureFields, ReasonSerializer):
    photos = _photos()


class CodepartmentSerializer(NoteSerializer):
    department = _id_field(source="department_id", allow_null=True, default=None)
    due_at = serializers.DateTimeField(
        allow_null=True, default=None, help_text="The part's deadline (default: the case's)."
    )


class DepartmentReasonSerializer(ReasonSerializer):
    department = _id_field(source="department_id", allow_null=True, default=None)


class SummonSerializer(NoteSerializer):
    departments = serializers.ListField(
        child=_id_field(),
        source="department_ids",
        default=list,
        max_length=50,
        help_text="Ids of the departments summoned to the site (吹哨).",
    )


class CheckInSerializer(NoteSerializer):
    lon = serializers.FloatField(min_value=-180, max_value=180, allow_null=True, default=None)
    lat = serializers.FloatField(min_value=-90, max_value=90, allow_null=True, default=None)
    accuracy = serializers.FloatField(
        min_value=0, max_value=100_000, allow_null=True, default=None, help_text="GPS metres."
    )


# The input of each transition: the API's ``POST /cases/{id}/<action>/`` and the pages' action
# forms parse their bodies with the same serializer.
ACTION_INPUTS: dict[str, type[serializers.Serializer]] = {
    "accept": AcceptSerializer,
    "reject": ReasonSerializer,
    "merge": MergeSerializer,
    "dispatch": DispatchSerializer,
    "assign_binding": DispatchSerializer,
    "return": ReasonSerializer,
    "start": NoteSerializer,
    "report": ResultSerializer,
    "request_extension": ExtensionSerializer,
    "approve_extension": NoteSerializer,
    "refuse_extension": ReasonSerializer,
    "suspend": SuspendSerializer,
    "resume": NoteSerializer,
    "verify_pass": ResultSerializer,
    "verify_fail": VerifyFailSerializer,
    "self_resolve": ResultSerializer,
    "reopen": NoteSerializer,
    "decline_reopen": ReasonSerializer,
    "add_codepartment": CodepartmentSerializer,
    "report_part": ResultSerializer,
    "release_part": DepartmentReasonSerializer,
    "summon": SummonSerializer,
    "check_in": CheckInSerializer,
    "request_transfer": DepartmentReasonSerializer,
    "approve_transfer": NoteSerializer,
    "refuse_transfer": ReasonSerializer,
}
