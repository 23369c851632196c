"""Tags, the derived 老年人 status, the cell copy and the create services."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from residents.forms import ResidentForm
from residents.models import Resident, Tag, phone_hash_of, years_before
from residents.services import create_household, create_resident

from ..factories import ResidentFactory, make_id_number
from .conftest import ID_A

pytestmark = pytest.mark.django_db


def test_builtin_tags_come_from_the_migration():
    assert dict(Tag.objects.filter(builtin=True).values_list("code", "name")) == {
        "elderly_alone": "独居老人",
        "child": "儿童",
        "disabled": "残疾人",
        "low_income": "低保/困难户",
        "special_care": "优抚对象",
        "unemployed": "失业",
        "elderly": "老年人",
    }
    # 老年人 is derived from the birth date (60+), not ticked: the only tag with an age.
    assert list(Tag.objects.exclude(min_age=None).values_list("code", "min_age")) == [
        ("elderly", 60)
    ]


def test_elderly_is_60_and_over_from_the_birth_date(territory):
    today = timezone.localdate()
    elderly = Tag.objects.get(code="elderly")
    assert Tag.elderly_age() == elderly.min_age == 60
    turned_60_today = ResidentFactory(
        household__cell=territory.cell_a, birth_date=years_before(today, 60)
    )
    almost = ResidentFactory(
        household__cell=territory.cell_a,
        birth_date=date.fromordinal(years_before(today, 60).toordinal() + 1),
    )
    assert turned_60_today.derived_tags([elderly]) == [elderly]
    assert almost.derived_tags([elderly]) == []
    assert list(Resident.objects.with_tag(elderly)) == [turned_60_today]
    assert set(Resident.objects.with_tag(elderly, on=date(today.year + 1, 12, 31))) == {
        turned_60_today,
        almost,
    }


def test_the_tags_age_is_the_one_definition_of_elderly(territory, admin_client):
    """A district that sets 老年人 at 65 gets 65 everywhere: the tag, the admin's filter (by
    birth year) and the resident form's words."""
    Tag.objects.filter(code="elderly").update(min_age=65)
    this_year = timezone.localdate().year
    at_62 = ResidentFactory(household__cell=territory.cell_a, birth_date=date(this_year - 62, 1, 1))
    at_66 = ResidentFactory(household__cell=territory.cell_a, birth_date=date(this_year - 66, 1, 1))
    assert Tag.elderly_age() == 65
    assert list(Resident.objects.with_tag(Tag.objects.get(code="elderly"))) == [at_66]
    page = admin_client.get("/admin/residents/resident/", {"elderly": "yes"})
    assert page.status_code == 200
    shown = {r.pk for r in page.context["cl"].result_list}
    assert at_66.pk in shown and at_62.pk not in shown
    form = ResidentForm()
    assert [(t.code, t.min_age) for t in form.derived_tags] == [("elderly", 65)]


def test_years_before_handles_29_february():
    assert years_before(date(2024, 2, 29), 60) == date(1964, 2, 29)
    assert years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)


def test_create_resident_derives_birth_date_and_cell_and_sets_tags(territory):
    household = create_household(cell=territory.cell_b, address=" 幸福路8号 ")
    resident = create_resident(
        household=household,
        name="刘强",
        gender="M",
        id_number=ID_A.lower(),
        phone="+86 139 1234 5678",
        tags=["disabled", Tag.objects.get(code="low_income")],
    )
    assert household.address == "幸福路8号"
    assert resident.birth_date == date(1949, 12, 31)
    assert resident.cell == territory.cell_b
    assert (resident.id_number, resident.phone) == (ID_A, "13912345678")
    assert set(resident.tags.values_list("code", flat=True)) == {"disabled", "low_income"}
    assert resident.derived_tags([Tag.objects.get(code="elderly")])


def test_create_resident_refuses_bad_data_with_field_errors(people):
    household = people.a.household
    with pytest.raises(ValidationError) as exc:
        create_resident(household=household, name="x", gender="M", id_number="123")
    assert "18 characters" in exc.value.message_dict["id_number"][0]
    with pytest.raises(ValidationError) as exc:
        create_resident(household=household, name="x", gender="M", id_number=ID_A)
    assert "already registered" in exc.value.message_dict["id_number"][0]
    with pytest.raises(ValidationError) as exc:
        create_resident(
            household=household,
            name="x",
            gender="M",
            id_number=make_id_number(seq=3),
            phone="12345",
        )
    assert "phone" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        create_resident(
            household=household,
            name="x",
            gender="M",
            id_number=make_id_number(seq=5),
            tags=["no_such_tag"],
        )
    assert "no_such_tag" in exc.value.message_dict["tags"][0]
    assert Resident.objects.count() == 3


def test_moving_a_household_moves_its_residents(people, territory):
    household = people.a.household
    household.cell = territory.cell_x
    household.save()
    people.a.refresh_from_db()
    assert people.a.cell == territory.cell_x


def test_save_with_update_fields_keeps_the_hash_in_step(people):
    people.a.phone = "138 0000 2222"
    people.a.save(update_fields=["phone"])
    assert Resident.objects.get(phone_hash=phone_hash_of("13800002222")) == people.a
    assert Resident.objects.get(pk=people.a.pk).phone == "13800002222"
