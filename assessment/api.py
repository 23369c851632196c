"""REST endpoints of the assessment (DESIGN §5, §7): the indicator table, its CSV/Excel
export, the trend, and staff's phone-callback ratings. Thin: scope and numbers come from
``assessment.selectors``, writes from ``assessment.services``."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .indicators import COUNT_FIELDS
from .selectors import LEVELS, AssessmentScope, Filters, assessment_scope, indicator_table, trend
from .services import record_callback

MAX_DAYS = 1100  # three years: the history a district keeps online
INDICATOR_FIELDS = (
    "closing_rate",
    "on_time_rate",
    "rework_rate",
    "satisfaction_rate",
    "supervision_rate",
    "avg_handling_hours",
    "survey_rate",
)


class PeriodSerializer(serializers.Serializer):
    """The period (inclusive local days; default: this month so far) and the parent unit."""

    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    district = serializers.IntegerField(required=False, min_value=1)
    street = serializers.IntegerField(required=False, min_value=1)
    community = serializers.IntegerField(required=False, min_value=1)
    cell = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs: dict) -> dict:
        today = timezone.localdate()
        attrs.setdefault("end", today)
        attrs.setdefault("start", attrs["end"].replace(day=1))
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": _("The end is before the start.")})
        if attrs["start"] < date(2000, 1, 1):
            raise serializers.ValidationError({"start": _("Start on or after 2000-01-01.")})
        if attrs["start"] > today:
            raise serializers.ValidationError({"start": _("The period starts in the future.")})
        if (attrs["end"] - attrs["start"]).days >= MAX_DAYS:
            raise serializers.ValidationError(
                {"end": _("A period is at most %(days)d days.") % {"days": MAX_DAYS}}
            )
        return attrs


class IndicatorQuerySerializer(PeriodSerializer):
    level = serializers.ChoiceField(choices=LEVELS)

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs["level"] == "department" and ("community" in attrs or "cell" in attrs):
            raise serializers.ValidationError(
                {"level": _("Departments are assessed per district or street.")}
            )
        return attrs


class TrendQuerySerializer(PeriodSerializer):
    bucket = serializers.ChoiceField(choices=("day", "month"), default="month")


class ExportQuerySerializer(IndicatorQuerySerializer):
    # Not "format": DRF reads that for content negotiation.
    as_ = serializers.ChoiceField(choices=("csv", "xlsx"), default="csv")

    def to_internal_value(self, data):
        data = data.copy()
        if "as" in data:
            data["as_"] = data.pop("as")[0] if hasattr(data, "getlist") else data.pop("as")
        return super().to_internal_value(data)


def _scope(request: Request) -> AssessmentScope:
    scope = assessment_scope(request.user)
    if scope is None:
        raise PermissionDenied(_("Assessments are for street staff and district administrators."))
    return scope


def _filters(attrs: dict) -> Filters:
    return Filters(
        start=attrs["start"],
        end=attrs["end"],
        **{k: attrs.get(k) for k in ("district", "street", "community", "cell")},
    )


def _parsed(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class IndicatorListView(APIView):
    """``GET /api/v1/indicators/?level=…&start=…&end=…[&district|street|community|cell=<id>]``

    One row per unit of the level in your scope: counts, indicators (rates 0–1, ``null`` when
    there is nothing to divide by), score (0–100), grade (A–E) and drill-down links into the
    case list. 400 with field errors for bad parameters; 403 unless you are street staff or a
    district administrator.
    """

    @extend_schema(
        parameters=[IndicatorQuerySerializer],
        responses={200: OpenApiResponse(description="{level, start, end, count, results}")},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        attrs = _parsed(IndicatorQuerySerializer, request)
        filters = _filters(attrs)
        rows = indicator_table(level=attrs["level"], scope=scope, filters=filters)
        return Response(
            {
                "level": attrs["level"],
                "start": filters.start,
                "end": filters.end,
                "count": len(rows),
                "results": rows,
            }
        )


class IndicatorTrendView(APIView):
    """``GET /api/v1/indicators/trend/?bucket=day|month&start=…&end=…[&street=<id>…]``: the
    indicators of your whole scope (or the parent unit given) per day or month."""

    @extend_schema(
        parameters=[TrendQuerySerializer],
        responses={200: OpenApiResponse(description="{bucket, start, end, results}")},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        attrs = _parsed(TrendQuerySerializer, request)
        filters = _filters(attrs)
        if attrs["bucket"] == "day" and (filters.end - filters.start).days > 366:
            raise serializers.ValidationError({"bucket": _("Use months for more than a year.")})
        rows = trend(scope=scope, filters=filters, bucket=attrs["bucket"])
        return Response(
            {"bucket": attrs["bucket"], "start": filters.start, "end": filters.end, "results": rows}
        )


EXPORT_HEADERS = (
    ("level", gettext_lazy("level")),
    ("code", gettext_lazy("code")),
    ("name", gettext_lazy("name")),
    ("community_type", gettext_lazy("community type")),
    *(
        (f"counts.{name}", name)
        for name in (*COUNT_FIELDS, "overdue_open", "due", "backlog", "survey_answers")
    ),
    *((f"indicators.{name}", name) for name in INDICATOR_FIELDS),
    ("indicators.missed_rate", "missed_rate"),
    ("score", gettext_lazy("score")),
    ("grade", gettext_lazy("grade")),
    ("links.cases_page", gettext_lazy("cases")),
)


def _cell(row: dict, path: str):
    value = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


class IndicatorExportView(APIView):
    """``GET /api/v1/indicators/export/?as=csv|xlsx&level=…`` — the same table as
    ``/api/v1/indicators/`` (same scope and filters) as a CSV or Excel file."""

    @extend_schema(
        parameters=[
            IndicatorQuerySerializer,
            OpenApiParameter("as", str, enum=["csv", "xlsx"], description="file type"),
        ],
        responses={200: OpenApiResponse(description="text/csv or an .xlsx workbook")},
    )
    def get(self, request: Request) -> HttpResponse:
        scope = _scope(request)
        attrs = _parsed(ExportQuerySerializer, request)
        filters = _filters(attrs)
        rows = indicator_table(level=attrs["level"], scope=scope, filters=filters)
        header = [str(label) for _path, label in EXPORT_HEADERS]
        table = [[_cell(row, path) for path, _label in EXPORT_HEADERS] for row in rows]
        name = f"indicators-{attrs['level']}-{filters.start}-{filters.end}"
        if attrs["as_"] == "xlsx":
            return _xlsx(name, header, table)
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese names only with a BOM
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in line] for line in table)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


def _xlsx(name: str, header: list[str], table: list[list]) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Indicators")[:31])
    sheet.append(header)
    for line in table:
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


class CallbackSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1)
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class SatisfactionCallbackView(APIView):
    """``POST /api/v1/satisfaction/callbacks/`` ``{case, score, comment}``: 电话回访 — street
    staff enter the rating a reporter gave on the phone (once per case; 404 outside your
    scope, 403 unless you are street staff of the case's street, 400 if open or rated)."""

    @extend_schema(
        request=CallbackSerializer,
        responses={
            201: CallbackSerializer,
            404: OpenApiResponse(description="No such case in your scope"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = CallbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            row = record_callback(
                case_id=data["case"],
                by=request.user,
                score=data["score"],
                comment=data.get("comment", ""),
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(
            {"case": row.case_id, "score": row.score, "comment": row.comment},
            status=status.HTTP_201_CREATED,
        )
