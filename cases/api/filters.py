"""Query filters of ``GET /api/v1/cases/``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters

from cases.models import Case, CaseSource, CaseStatus

# Outside these bounds a range end cannot exclude any case, and converting the day to UTC
# could overflow datetime's range (a 500 on input like 0001-01-01).
_EARLIEST = date(1900, 1, 1)
_LATEST = date(9999, 12, 30)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class CaseFilter(filters.FilterSet):
    """Codes, not ids, for the territory and category filters: they are what users read.

    The date range is inclusive and in local time; it compares ``created_at`` with the
    day's bounds (not ``created_at__date``) so the index on ``created_at`` stays usable.
    """

    status = filters.ChoiceFilter(choices=CaseStatus.choices)
    category = filters.CharFilter(field_name="category__code", help_text="Category code, C0101")
    cell = filters.CharFilter(field_name="cell__full_code", help_text="15-digit cell code")
    street = filters.CharFilter(field_name="street__full_code", help_text="9-digit street code")
    community = filters.CharFilter(
        field_name="cell__community__full_code", help_text="12-digit community code"
    )
    district = filters.CharFilter(
        field_name="street__district__full_code", help_text="6-digit district code"
    )
    department = filters.NumberFilter(
        field_name="department_id", min_value=1, max_value=2**63 - 1, help_text="Department id"
    )
    overdue = filters.BooleanFilter()
    source = filters.ChoiceFilter(choices=CaseSource.choices)
    created_after = filters.DateFilter(
        method="filter_created_after", help_text="Created on or after this date (YYYY-MM-DD)"
    )
    created_before = filters.DateFilter(
        method="filter_created_before", help_text="Created on or before this date (YYYY-MM-DD)"
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_created_after(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        if value <= _EARLIEST:
            return queryset
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_created_before(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        if value >= _LATEST:
            return queryset
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))
