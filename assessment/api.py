"""REST endpoints of the assessment (DESIGN §5, §7): the indicator table, its CSV/Excel
export, the trend, and staff's phone-callback ratings. Thin: scope and numbers come from
``assessment.selectors``, writes from ``assessment.services``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.renderers import OrjsonRenderer

from .drilldown import ARRIVAL_FIGURES, FIGURES, figure_cases
from .selectors import (
    LEVELS,
    AssessmentScope,
    Filters,
    assessment_scope,
    indicator_table,
    map_links,
    map_table,
    trend,
)
from .services import record_callback

MAX_DAYS = 1100  # three years: the history a district keeps online
LEVEL_LABELS = {
    "district": gettext_lazy("district (区)"),
    "street": gettext_lazy("street (街道)"),
    "community": gettext_lazy("community (社区)"),
    "cell": gettext_lazy("grid cell (网格)"),
    "department": gettext_lazy("department (部门)"),
    "worker": gettext_lazy("grid worker (网格员)"),
}


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


class IndicatorListQuerySerializer(IndicatorQuerySerializer):
    view = serializers.ChoiceField(
        choices=("table", "map"),
        default="table",
        help_text="map: per unit only what the dashboard's map shows (grade, score, backlog, "
        "satisfaction), and one drill-down link for all",
    )


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


# The tables are large (300 communities × some 50 numbers): orjson writes them (same JSON).
TABLE_RENDERERS = [OrjsonRenderer, BrowsableAPIRenderer]


def _scope(request: Request) -> AssessmentScope:
    scope = assessment_scope(request.user)
    if scope is None:
        raise PermissionDenied(_("Assessments are for street staff and district administrators."))
    return scope


def filters_of(attrs: dict) -> Filters:
    return Filters(
        start=attrs["start"],
        end=attrs["end"],
        **{k: attrs.get(k) for k in ("district", "street", "community", "cell")},
    )


def drilldown_cases(user, scope: AssessmentScope, attrs: dict):
    """The cases behind the figure a validated ``DrilldownQuerySerializer`` names (the API's
    and the page's drill-down alike); None for a unit outside ``scope``."""
    return figure_cases(
        user=user,
        scope=scope,
        level=attrs["level"],
        unit_id=attrs["unit"],
        figure=attrs["figure"],
        filters=filters_of(attrs),
    )


def _parsed(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class IndicatorListView(APIView):
    """``GET /api/v1/indicators/?level=…&start=…&end=…[&district|street|community|cell=<id>]``

    One row per unit of the level in your scope: counts, indicators (rates 0–1, ``null`` when
    there is nothing to divide by), score (0–100), grade (A–E) and drill-down links into the
    case list. ``view=map``: per unit only its grade, score, backlog and satisfaction rate,
    and one drill-down link for all (``links.page_head`` + id + ``links.page_tail``) — what
    the dashboard's map of 3,000 cells needs, in a twentieth of the bytes. 400 with field
    errors for bad parameters; 403 unless you are street staff or a district administrator.
    """

    renderer_classes = TABLE_RENDERERS

    @extend_schema(
        parameters=[IndicatorListQuerySerializer],
        responses={
            200: OpenApiResponse(description="{level, start, end, view, count, results[, links]}")
        },
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        attrs = _parsed(IndicatorListQuerySerializer, request)
        filters = filters_of(attrs)
        level, view = attrs["level"], attrs["view"]
        extra = {}
        if view == "map":
            rows = map_table(level=level, scope=scope, filters=filters)
            extra["links"] = map_links(level, filters)
        else:
            rows = indicator_table(level=level, scope=scope, filters=filters)
        return Response(
            {
                "level": level,
                "start": filters.start,
                "end": filters.end,
                "view": view,
                "count": len(rows),
                "results": rows,
                **extra,
            }
        )


class IndicatorTrendView(APIView):
    """``GET /api/v1/indicators/trend/?bucket=day|month&start=…&end=…[&street=<id>…]``: the
    indicators of your whole scope (or the parent unit given) per day or month."""

    renderer_classes = TABLE_RENDERERS

    @extend_schema(
        parameters=[TrendQuerySerializer],
        responses={200: OpenApiResponse(description="{bucket, start, end, results}")},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        attrs = _parsed(TrendQuerySerializer, request)
        filters = filters_of(attrs)
        if attrs["bucket"] == "day" and (filters.end - filters.start).days > 366:
            raise serializers.ValidationError({"bucket": _("Use months for more than a year.")})
        rows = trend(scope=scope, filters=filters, bucket=attrs["bucket"])
        return Response(
            {"bucket": attrs["bucket"], "start": filters.start, "end": filters.end, "results": rows}
        )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# The export's columns: (header, value of a row). Headers carry the Chinese term whatever the
# reader's language; rates are percentages with their numerator/denominator beside them.
EXPORT_COUNTS = (
    *((name, label) for name, (label, _q) in FIGURES.items()),
    ("reworks", gettext_lazy("Failed verifications (返工次数)")),
    ("verifications", gettext_lazy("Verifications (核查次数)")),
    ("survey_answers", gettext_lazy("Survey answers (问卷数)")),
)
EXPORT_RATES = (
    ("closing_rate", gettext_lazy("Closing rate (结案率)")),
    ("on_time_rate", gettext_lazy("On-time closing rate (按期结案率)")),
    ("rework_rate", gettext_lazy("Rework rate (返工率)")),
    ("satisfaction_rate", gettext_lazy("Satisfaction (满意率)")),
    ("supervision_rate", gettext_lazy("Public-report rate (监督举报率)")),
    ("missed_rate", gettext_lazy("Missed-report rate (漏报率)")),
)


def export_columns(level: str, filters: Filters, absolute: Callable[[str], str]) -> list:
    """``[(header, row → cell value)]`` of the indicator export."""
    level_label = str(LEVEL_LABELS[level])
    exported = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    columns: list = [
        (gettext_lazy("Level (层级)"), lambda row: level_label),
        (gettext_lazy("Code (编码)"), lambda row: row["code"]),
        (gettext_lazy("Name (名称)"), lambda row: row["name"]),
        (gettext_lazy("Period (考核期)"), lambda row: f"{filters.start} – {filters.end}"),
    ]
    for name, label in EXPORT_COUNTS:
        if name in ARRIVAL_FIGURES and level != "department":
            continue  # summonses are counted per department (assessment.arrivals)
        columns.append((label, lambda row, name=name: row["counts"][name]))
    for name, label in EXPORT_RATES:
        columns.append((label, lambda row, name=name: _pct(row["indicators"][name])))
        columns.append(
            (
                format_lazy("{} {}", label, gettext_lazy("numerator/denominator")),
                lambda row, name=name: "/".join(map(str, row["fractions"][name])),
            )
        )
    columns += [
        (
            gettext_lazy("Residents' survey (居民满意率)"),
            lambda row: _pct(row["indicators"]["survey_rate"]),
        ),
        (
            gettext_lazy("Average handling time, hours (平均处置时长)"),
            lambda row: row["indicators"]["avg_handling_hours"],
        ),
        (gettext_lazy("Score (得分)"), lambda row: row["score"]),
        (gettext_lazy("Grade (等级)"), lambda row: row["grade"]),
        (
            gettext_lazy("Cases filed, link (立案案件链接)"),
            lambda row: absolute(f"{row['links']['page']}&figure=filed"),
        ),
        (gettext_lazy("Exported at (导出时间)"), lambda row: exported),
    ]
    return columns


class IndicatorExportView(APIView):
    """``GET /api/v1/indicators/export/?as=csv|xlsx&level=…`` — the same table as
    ``/api/v1/indicators/`` (same scope and filters) as a CSV or Excel file: headers with the
    Chinese terms, rates as percentages beside their numerator/denominator, local times
    (Asia/Shanghai), and absolute links to each unit's cases."""

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
        filters = filters_of(attrs)
        rows = indicator_table(level=attrs["level"], scope=scope, filters=filters)
        columns = export_columns(attrs["level"], filters, request.build_absolute_uri)
        header = [str(label) for label, _value in columns]
        table = [[value(row) for _label, value in columns] for row in rows]
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


class DrilldownQuerySerializer(IndicatorQuerySerializer):
    unit = serializers.IntegerField(min_value=1)
    figure = serializers.ChoiceField(choices=list(FIGURES))


class DrilldownPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def case_row(case, request) -> dict:
    """A drill-down row: what identifies a case, its state, and an absolute link to it."""
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "status": case.status,
        "status_display": case.get_status_display(),
        "source": case.source,
        "cell": case.cell.full_code,
        "created_at": timezone.localtime(case.created_at).isoformat(),
        "url": request.build_absolute_uri(f"/cases/{case.pk}/"),
    }


class IndicatorCasesView(APIView):
    """``GET /api/v1/indicators/cases/?figure=…&level=…&unit=<id>&start=…&end=…`` — the
    cases behind one figure of one row of ``/api/v1/indicators/`` (the row's ``links.api``
    plus ``figure``): exactly the ones counted, newest first, paginated. 400 with field errors
    for bad parameters, 404 for a unit outside your scope, 403 unless you assess."""

    @extend_schema(
        parameters=[DrilldownQuerySerializer],
        responses={
            200: OpenApiResponse(description="{figure, label, count, results}"),
            404: OpenApiResponse(description="No such unit in your scope, or no such page"),
        },
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        attrs = _parsed(DrilldownQuerySerializer, request)
        cases = drilldown_cases(request.user, scope, attrs)
        if cases is None:
            raise NotFound(_("No such unit in your scope."))
        paginator = DrilldownPagination()
        page = paginator.paginate_queryset(cases, request, view=self)
        response = paginator.get_paginated_response([case_row(c, request) for c in page])
        response.data["figure"] = attrs["figure"]
        response.data["label"] = str(FIGURES[attrs["figure"]][0])
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
