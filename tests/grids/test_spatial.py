"""Point → cell lookup: inside, outside, on a shared edge, and after cells change."""

from __future__ import annotations

import pytest

from grids.models import GridCell
from grids.spatial import CellIndex, cell_at, cell_id_at

from ..factories import grid_box

# serialized_rollback: the flush after a transactional test would otherwise drop the rows
# data migrations made (categories, tags, calendar) and re-create content types under new ids.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_point_inside_a_cell_finds_it(territory):
    assert cell_at(116.405, 39.905) == territory.cell_a
    assert cell_at(116.415, 39.905) == territory.cell_b
    assert cell_at(116.425, 39.905) == territory.cell_x


def test_the_found_cell_comes_with_its_parents_without_a_query(
    territory, django_assert_num_queries
):
    cell_id_at(116.405, 39.905)  # warm the index
    with django_assert_num_queries(0):
        cell = cell_at(116.405, 39.905)
        assert (cell.pk, cell.full_code, str(cell)) == (
            territory.cell_a.pk,
            territory.cell_a.full_code,
            str(territory.cell_a),
        )
        assert cell.community_id == territory.cell_a.community_id
        street = cell.community.street
        assert (street.pk, street.full_code, street.district_id) == (
            territory.street1.pk,
            territory.street1.full_code,
            territory.street1.district_id,
        )
        assert street.district.code == "110105"
    # A field the index does not keep is read when asked for, never made up.
    with django_assert_num_queries(1):
        assert cell.geometry == territory.cell_a.geometry


def test_each_lookup_hands_out_its_own_cell(territory):
    first = cell_at(116.405, 39.905)
    first.name = "changed by a caller"
    first.community.street.code = "999"
    again = cell_at(116.405, 39.905)
    assert again.name == territory.cell_a.name
    assert again.community.street.code == territory.street1.code


def test_the_index_follows_a_renamed_street(territory):
    assert cell_at(116.405, 39.905).community.street.name == territory.street1.name
    territory.street1.name = "新街道"
    territory.street1.save()
    assert cell_at(116.405, 39.905).community.street.name == "新街道"


def test_a_point_outside_every_cell_finds_none(territory):
    assert cell_at(116.405, 39.95) is None
    assert cell_at(0, 0) is None


def test_a_point_on_a_shared_edge_resolves_to_the_lowest_code_every_time(territory):
    # x = 116.41 is the edge between A (…001) and B (…002).
    edge = [cell_id_at(116.41, 39.905) for _ in range(20)]
    assert set(edge) == {territory.cell_a.pk}
    # and the corner where A, B meet the community's southern edge
    assert cell_id_at(116.41, 39.90) == territory.cell_a.pk


def test_edge_rule_holds_for_the_vectorised_lookup(territory):
    index = CellIndex.from_queryset()
    ids = index.lookup_many([116.405, 116.41, 116.415, 117.0], [39.905, 39.905, 39.905, 39.905])
    assert ids.tolist() == [territory.cell_a.pk, territory.cell_a.pk, territory.cell_b.pk, -1]


def test_the_index_follows_cells_added_and_moved(territory):
    assert cell_at(116.405, 39.915) is None
    added = GridCell.objects.create(
        community=territory.community1, code="003", name="C", geometry=grid_box(0, 1)
    )
    assert cell_at(116.405, 39.915) == added
    added.geometry = grid_box(1, 1)
    added.save()
    assert cell_at(116.405, 39.915) is None
    assert cell_at(116.415, 39.915) == added
    added.delete()
    assert cell_at(116.415, 39.915) is None


def test_the_raster_answers_as_the_tree_does_on_edges_and_inside(territory):
    """The lookup raster answers inside a cell by arithmetic; on and near every edge (and
    outside) it must give exactly the tree's answer, the lowest code on a shared edge."""
    index = CellIndex.from_queryset()
    x0, y0, x1, y1 = 116.39, 39.89, 116.44, 39.92
    steps = 157  # not a divisor of the raster: points fall on, beside and inside squares
    lons = [x0 + (x1 - x0) * i / steps for i in range(steps + 1)] + [116.41, 116.42]
    lats = [y0 + (y1 - y0) * j / steps for j in range(steps + 1)] + [39.90, 39.905]
    points = [(lon, lat) for lon in lons for lat in lats]
    single = [index.lookup(lon, lat) for lon, lat in points]
    many = index.lookup_many([p[0] for p in points], [p[1] for p in points])
    assert [-1 if s is None else s for s in single] == many.tolist()
    assert any(index._grid)  # the raster answers some of them
    assert index.lookup(116.41, 39.905) == territory.cell_a.pk
