"""Territory codes: 6/3/3/3 digits composed into a unique 15-digit cell code."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from grids.models import Community, District, GridCell, Street

from ..factories import grid_box

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["110105", "310115", "440305"])
def test_good_district_codes_pass(code):
    District(code=code, name="区").full_clean()


@pytest.mark.parametrize("code", ["11010", "1101050", "11010a", "011105", "110100", ""])
def test_bad_district_codes_are_refused(code):
    with pytest.raises(ValidationError) as exc:
        District(code=code, name="区").full_clean()
    assert "code" in exc.value.message_dict


@pytest.mark.parametrize("code", ["1", "01", "0001", "000", "abc", "1 2"])
def test_bad_part_codes_are_refused_with_a_message(territory, code):
    cell = GridCell(community=territory.community1, code=code, name="x", geometry=grid_box(0, 0))
    with pytest.raises(ValidationError) as exc:
        cell.full_clean()
    assert "3 digits" in " ".join(exc.value.message_dict["code"])


def test_cell_code_is_the_15_digit_concatenation(territory):
    assert territory.street1.full_code == "110105001"
    assert territory.community1.full_code == "110105001001"
    assert territory.cell_b.full_code == "110105001001002"
    assert territory.cell_x.full_code == "110105002001001"
    assert len(territory.cell_x.full_code) == 15


def test_codes_are_unique_within_their_parent(territory):
    with pytest.raises(IntegrityError):
        GridCell.objects.create(
            community=territory.community1, code="001", name="dup", geometry=grid_box(0, 0)
        )


def test_the_same_local_code_under_different_parents_is_fine(territory):
    assert territory.community1.code == territory.community2.code == "001"
    assert territory.community1.full_code != territory.community2.full_code


def test_footprint_is_stored_on_save(territory):
    cell = territory.cell_a
    assert (cell.min_lon, cell.max_lon) == pytest.approx((116.40, 116.41))
    # 0.01° × 0.01° at 39.9°N ≈ 854 m × 1106 m
    assert cell.area_m2 == pytest.approx(854 * 1106, rel=0.01)


def test_street_and_community_are_created_through_parents(territory):
    assert Street.objects.get(full_code="110105002").district == territory.district
    assert Community.objects.get(full_code="110105002001").street == territory.street2
