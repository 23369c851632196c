"""The street queue at a desk's load for ``seed_demo --scale small``: fresh reports waiting in
each street's queue, more than a screen (and a page) holds, so the compact queue, its paging,
filters and bulk actions have something to show (README, "The desk")."""

from __future__ import annotations

import random
from collections.abc import Sequence

from grids.models import GridCell

from .demo import SPOTS, _Cast, _point_in
from .models import Category, RoutingRule
from .services import create_case

# Per street: past the queue's page of 50, so "show the next ones" appears too.
WAITING_PER_STREET = 60


def create_desk_queue(cells: Sequence[GridCell], *, rng: random.Random) -> int:
    """File ``WAITING_PER_STREET`` reports in each street's cells, by their grid workers, of
    routed categories (mostly: the suggestions show) and a few no rule routes (the picker)."""
    cast = _Cast.load()
    routed_ids = set(RoutingRule.objects.values_list("category_id", flat=True))
    categories = list(Category.objects.subcategories().active().select_related("parent"))
    routed = [c for c in categories if c.pk in routed_ids]
    unrouted = [c for c in categories if c.pk not in routed_ids] or routed
    by_street: dict[int, list[GridCell]] = {}
    for cell in cells:
        by_street.setdefault(cell.community.street_id, []).append(cell)
    made = 0
    for street_cells in by_street.values():
        for i in range(WAITING_PER_STREET):
            cell = street_cells[i % len(street_cells)]
            category = rng.choice(unrouted if i % 6 == 5 else routed)
            spot = rng.choice(SPOTS)
            lon, lat = _point_in(cell, rng)
            create_case(
                by=cast.reporter[cell.pk],
                title=f"{spot}{category.name}",
                description=f"巡查发现{cell.community.name}{spot}的{category.name}问题，请受理。",
                category_code=category.code,
                lon=lon,
                lat=lat,
            )
            made += 1
    return made
