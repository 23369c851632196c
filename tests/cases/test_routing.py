"""Routing rules: (category, territory) → department; the most specific active rule wins."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.models import Case, Category, RoutingRule
from cases.selectors import route_for, suggested_departments
from grids.models import District, GridCell, Street

from ..factories import DepartmentFactory


@pytest.fixture
def manhole(db) -> Category:
    return Category.objects.get(code="C0101")


@pytest.fixture
def depts(territory):
    """The district-wide 城管 department plus one serving street 1 and one serving community 1."""
    t = territory
    return {
        "district": t.department,
        "street": DepartmentFactory(district=t.district, street=t.street1, name="一街道城管"),
        "community": DepartmentFactory(
            district=t.district,
            street=t.street1,
            community=t.community1,
            name="一社区物业",
            kind="property_management",
        ),
    }


def _rule(category, department, *, district, street=None, community=None, **extra):
    rule = RoutingRule(
        category=category,
        department=department,
        district=district,
        street=street,
        community=community,
        **extra,
    )
    rule.full_clean()
    rule.save()
    return rule


@pytest.fixture
def three_levels(territory, depts, manhole):
    t = territory
    return {
        "district": _rule(manhole, depts["district"], district=t.district),
        "street": _rule(manhole, depts["street"], district=t.district, street=t.street1),
        "community": _rule(
            manhole,
            depts["community"],
            district=t.district,
            street=t.street1,
            community=t.community1,
        ),
    }


def test_community_rule_beats_street_beats_district(territory, depts, manhole, three_levels):
    t = territory
    assert route_for(category=manhole, cell=t.cell_a) == depts["community"]
    assert route_for(category=manhole, cell=t.cell_b) == depts["community"]
    # Cell X is in street 2: only the district rule covers it.
    assert route_for(category=manhole, cell=t.cell_x) == depts["district"]

    three_levels["community"].delete()
    assert route_for(category=manhole, cell=t.cell_a) == depts["street"]
    three_levels["street"].delete()
    assert route_for(category=manhole, cell=t.cell_a) == depts["district"]


def test_inactive_rules_and_departments_are_skipped(territory, depts, manhole, three_levels):
    t = territory
    three_levels["community"].is_active = False
    three_levels["community"].save()
    assert route_for(category=manhole, cell=t.cell_a) == depts["street"]

    depts["street"].is_active = False
    depts["street"].save()
    assert route_for(category=manhole, cell=t.cell_a) == depts["district"]

    three_levels["district"].is_active = False
    three_levels["district"].save()
    assert route_for(category=manhole, cell=t.cell_a) is None


def test_no_rule_means_none(territory, depts, manhole, three_levels):
    other = Category.objects.get(code="E0402")
    assert route_for(category=other, cell=territory.cell_a) is None
    RoutingRule.objects.all().delete()
    assert route_for(category=manhole, cell=territory.cell_x) is None


@pytest.mark.parametrize("cell_name", ["cell_a", "cell_x"])
def test_route_for_is_one_query(
    territory, manhole, three_levels, django_assert_num_queries, cell_name
):
    cell = GridCell.objects.get(pk=getattr(territory, cell_name).pk)  # nothing related cached
    with django_assert_num_queries(1):
        department = route_for(category=manhole, cell=cell)
        assert department.name  # the department comes with the rule
    assert (
        department == three_levels["community" if cell_name == "cell_a" else "district"].department
    )


def test_a_list_is_suggested_what_route_for_decides(territory, manhole, three_levels):
    """``suggested_departments`` (a whole queue in one query) picks as ``route_for`` does."""
    t = territory
    other = Category.objects.get(code="E0402")  # no rule anywhere
    places = [
        Case(pk=k, category=category, cell=cell, street=cell.community.street)
        for k, (category, cell) in enumerate(
            ((c, cell) for c in (manhole, other) for cell in (t.cell_a, t.cell_b, t.cell_x)),
            start=1,
        )
    ]
    for rule in ("community", "street", None):
        expected = {
            case.pk: route_for(category=case.category, cell=case.cell)
            for case in places
            if route_for(category=case.category, cell=case.cell)
        }
        assert suggested_departments(places) == expected
        assert expected  # the district rule always covers the manhole cases
        if rule:
            three_levels[rule].delete()


def test_clean_refuses_street_outside_district(territory, manhole):
    other_district = District.objects.create(code="110106", name="丰台区")
    other_street = Street.objects.create(district=other_district, code="001", name="外街道")
    with pytest.raises(ValidationError) as exc:
        _rule(manhole, territory.department, district=territory.district, street=other_street)
    assert exc.value.message_dict["street"] == ["The street is not in the rule's district."]
    assert not RoutingRule.objects.exists()


def test_clean_refuses_community_outside_street(territory, manhole):
    t = territory
    with pytest.raises(ValidationError) as exc:
        _rule(manhole, t.department, district=t.district, street=t.street1, community=t.community2)
    assert "must contain the community" in exc.value.message_dict["community"][0]
    with pytest.raises(ValidationError) as exc:
        _rule(manhole, t.department, district=t.district, community=t.community1)
    assert "community" in exc.value.message_dict


def test_clean_refuses_department_that_does_not_serve_the_territory(territory, depts, manhole):
    t = territory
    # A street-1 department cannot take the whole district, nor street 2.
    with pytest.raises(ValidationError) as exc:
        _rule(manhole, depts["street"], district=t.district)
    assert "does not serve" in exc.value.message_dict["department"][0]
    with pytest.raises(ValidationError):
        _rule(manhole, depts["street"], district=t.district, street=t.street2)
    # Another district's department cannot serve this one.
    elsewhere = DepartmentFactory(district=District.objects.create(code="110106", name="丰台区"))
    with pytest.raises(ValidationError):
        _rule(manhole, elsewhere, district=t.district)
    # A district-wide department serves a community inside it.
    _rule(manhole, t.department, district=t.district, street=t.street1, community=t.community1)


def test_one_rule_per_category_and_territory(territory, depts, manhole, three_levels):
    t = territory
    for level in ("district", "street", "community"):
        existing = three_levels[level]
        with pytest.raises(ValidationError) as exc:
            _rule(
                manhole,
                t.department,
                district=t.district,
                street=existing.street,
                community=existing.community,
            )
        assert "already has a rule" in " ".join(exc.value.messages)
    # The same territory for another category is fine.
    _rule(Category.objects.get(code="C0102"), t.department, district=t.district)


def test_rules_are_for_subcategories(territory, manhole):
    with pytest.raises(ValidationError) as exc:
        _rule(manhole.parent, territory.department, district=territory.district)
    assert "category" in exc.value.message_dict
