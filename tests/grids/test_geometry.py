"""Invalid GeoJSON is refused with a message that says what is wrong."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from grids.models import GridCell

from ..factories import box, grid_box

pytestmark = pytest.mark.django_db


def _clean(territory, geometry, **kw) -> list[str]:
    cell = GridCell(community=territory.community1, code="009", name="new", geometry=geometry, **kw)
    with pytest.raises(ValidationError) as exc:
        cell.full_clean()
    return exc.value.message_dict["geometry"]


def test_a_self_intersecting_polygon_is_refused(territory):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [
                [116.401, 39.901],
                [116.409, 39.909],
                [116.409, 39.901],
                [116.401, 39.909],
                [116.401, 39.901],
            ]
        ],
    }
    (message,) = _clean(territory, bowtie)
    assert "not a valid polygon" in message and "Self-intersection" in message


def test_a_point_is_not_a_polygon(territory):
    (message,) = _clean(territory, {"type": "Point", "coordinates": [116.405, 39.905]})
    assert "Polygon" in message and "Point" in message


def test_text_that_is_not_json_is_refused(territory):
    (message,) = _clean(territory, "{not json")
    assert "not valid JSON" in message


def test_latitude_longitude_swapped_is_refused(territory):
    (message,) = _clean(territory, box(39.90, 116.40, 39.91, 116.41))
    assert "longitude/latitude" in message


def test_a_cell_outside_its_community_is_refused(territory):
    # community 1 spans lattice columns 0–1; column 3 is in street 2.
    (message,) = _clean(territory, grid_box(3, 0))
    assert "outside" in message and "m²" in message


def test_a_cell_overlapping_a_sibling_is_refused(territory):
    half_over_a = box(116.405, 39.90, 116.415, 39.91)
    (message,) = _clean(territory, half_over_a)
    assert "overlaps cell" in message and territory.cell_a.full_code in message


def test_a_cell_needs_a_geometry(territory):
    (message,) = _clean(territory, None)
    assert "required" in message


def test_a_good_cell_passes(territory):
    territory.cell_b.delete()
    GridCell(
        community=territory.community1, code="002", name="B2", geometry=grid_box(1, 0)
    ).full_clean()


@pytest.mark.parametrize("metres", [3.0, 25.0, 300.0])
@pytest.mark.parametrize("bearing", [0.0, 1.0, 2.5, 4.0, 5.9])
def test_a_point_moved_lies_that_far_away(metres, bearing):
    from grids.geometry import haversine_m, moved

    lon, lat = moved(116.405, 39.915, metres, bearing)
    assert haversine_m(116.405, 39.915, lon, lat) == pytest.approx(metres, abs=0.2)
