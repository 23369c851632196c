"""check_coverage finds gaps, overlaps and cells sticking out, and passes a clean tiling."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from grids.coverage import check_community
from grids.models import GridCell

from ..factories import box

pytestmark = pytest.mark.django_db


def _plant(community, code: str, geometry: dict) -> GridCell:
    # Planted problems bypass full_clean on purpose: the check must find them in data that
    # arrived some other way (an import, an old database).
    return GridCell.objects.create(community=community, code=code, name=code, geometry=geometry)


def test_a_clean_tiling_passes(territory, capsys):
    assert check_community(territory.community1) == []
    call_command("check_coverage", community=territory.community1.full_code)
    assert "0 problems" in capsys.readouterr().out


def test_a_planted_gap_is_found_with_area_and_location(territory, capsys):
    territory.cell_b.delete()
    _plant(territory.community1, "002", box(116.41, 39.90, 116.42, 39.905))  # south half only
    (problem,) = check_community(territory.community1)
    assert problem.kind == "gap"
    assert problem.area_m2 == pytest.approx(854 * 553, rel=0.02)
    assert 116.41 < problem.lon < 116.42 and 39.905 < problem.lat < 39.91
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_coverage", community=territory.community1.full_code)
    assert exit_info.value.code == 1
    assert "gap" in capsys.readouterr().out


def test_a_planted_overlap_is_found(territory):
    territory.cell_b.delete()
    _plant(territory.community1, "002", box(116.405, 39.90, 116.42, 39.91))  # eats half of A
    problems = check_community(territory.community1)
    assert [p.kind for p in problems] == ["overlap"]
    assert set(problems[0].cells) == {"110105001001001", "110105001001002"}
    assert problems[0].area_m2 == pytest.approx(427 * 1106, rel=0.02)
    assert 116.405 < problems[0].lon < 116.41


def test_a_cell_sticking_out_of_its_community_is_found(territory):
    territory.cell_b.delete()
    _plant(territory.community1, "002", box(116.41, 39.90, 116.425, 39.91))
    problems = check_community(territory.community1)
    assert [p.kind for p in problems] == ["outside"]
    assert problems[0].lon > 116.42


def test_command_checks_every_community_and_names_a_missing_one(territory, capsys):
    call_command("check_coverage")
    assert "2 communities checked, 0 problems" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No community"):
        call_command("check_coverage", community="999999999999")
