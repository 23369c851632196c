"""The desk's search and filters (``/queue/``, ``/department/``): django-filter FilterSets over
a selector's queryset. A bad value is a field error (the page answers 400), never ignored."""

from __future__ import annotations

from datetime import timedelta

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Community
from grids.selectors import visible_cells

from .models import CaseSource, Category

# How long ago a report came in: value → (label, at least this old, at most this old).
AGES = {
    "day": (_("last 24 hours"), None, timedelta(days=1)),
    "older": (_("older than a day"), timedelta(days=1), None),
    "week": (_("older than a week"), timedelta(days=7), None),
}


class DeskSearch(filters.FilterSet):
    """``q``: a case number (exact) or words of the title, address or description."""

    q = filters.CharFilter(method="search", label=_("Search"), max_length=100)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number=value)
            | Q(title__icontains=value)
            | Q(address__icontains=value)
            | Q(description__icontains=value)
        )


class QueueFilter(DeskSearch):
    """Street staff's queue: search, major class, community (of the user's territory),
    source and age."""

    category = filters.ChoiceFilter(
        label=_("Category"), method="filter_category", empty_label=_("all categories")
    )
    community = filters.ChoiceFilter(
        label=_("Community"), field_name="cell__community__full_code", empty_label=_("all")
    )
    source = filters.ChoiceFilter(
        label=_("Source"), choices=CaseSource.choices, empty_label=_("all sources")
    )
    age = filters.ChoiceFilter(
        label=_("Age"),
        choices=[(key, label) for key, (label, _min, _max) in AGES.items()],
        method="filter_age",
        empty_label=_("any age"),
    )

    def __init__(self, data, queryset: QuerySet, *, user) -> None:
        super().__init__(data, queryset=queryset)
        majors = Category.objects.major_classes().active().order_by("sort_order", "code")
        self.filters["category"].extra["choices"] = [(c.code, c.name) for c in majors]
        communities = Community.objects.filter(
            pk__in=visible_cells(user).order_by().values("community_id")
        ).order_by("full_code")
        self.filters["community"].extra["choices"] = [(c.full_code, c.name) for c in communities]

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(category__parent__code=value)

    def filter_age(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        _label, older_than, newer_than = AGES[value]  # at least / at most this old
        now = timezone.now()
        if newer_than:
            queryset = queryset.filter(created_at__gt=now - newer_than)
        if older_than:
            queryset = queryset.filter(created_at__lte=now - older_than)
        return queryset
