"""Reads of categories and routing (DESIGN §4)."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from grids.models import Community, Department, GridCell, Street

from .models import Category, RoutingRule


def category_choices(*, family: str | None = None) -> QuerySet[Category]:
    """Active sub-categories a case can be filed under, grouped by major class for pickers.

    Ordered by family, then the major class's and the sub-category's ``sort_order`` and
    code; ``parent`` is joined so labels need no further query. ``family`` narrows to one of
    ``CategoryFamily``. Sub-categories of an inactive major class are left out.
    """
    qs = Category.objects.subcategories().filter(is_active=True, parent__is_active=True)
    if family:
        qs = qs.filter(family=family)
    return qs.select_related("parent").order_by(
        "family", "parent__sort_order", "parent__code", "sort_order", "code"
    )


def route_for(*, category: Category, cell: GridCell) -> Department | None:
    """The department that handles ``category`` in ``cell``, or ``None`` if no rule says.

    Among active rules of the category whose territory contains the cell, the most specific
    wins: a community rule over a street rule over a district rule. Rules pointing at an
    inactive department are skipped. Runs one query whatever is loaded on ``cell`` (only
    ``cell.community_id`` is read; the street and district come from subqueries).
    """
    street_id = Community.objects.filter(pk=cell.community_id).values("street_id")
    district_id = Street.objects.filter(communities=cell.community_id).values("district_id")
    rule = (
        RoutingRule.objects.filter(
            Q(community_id=cell.community_id)
            | Q(community__isnull=True, street_id__in=street_id)
            | Q(street__isnull=True, community__isnull=True, district_id__in=district_id),
            category_id=category.pk,
            is_active=True,
            department__is_active=True,
        )
        .annotate(
            specificity=Case(
                When(community__isnull=False, then=Value(2)),
                When(street__isnull=False, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .select_related("department")
        .order_by("-specificity")
        .first()
    )
    return rule.department if rule else None
