"""Near-duplicates weighed against chance (issue 19): a worker who passes a corner every day
and types the district's quick-fill phrase there twice in a week has not refiled anything,
while the same report filed again within hours at one spot, or by a worker who never
reports at that corner, has. What is chance is learnt from the district's own reports: the
filer's usual rate of reports near the spot and how common the wording and the spot are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Category
from integrity.models import IntegrityFlag, Rule
from integrity.services import run_rules

from .conftest import plain_case

pytestmark = pytest.mark.django_db

SPOTS = ["东门", "北侧", "3号楼旁", "路口", "小广场", "南门"]
KINDS = {"C0101": "上水井盖", "C0104": "路灯", "C0302": "垃圾箱", "C0401": "行道树"}
METRES_PER_DEGREE_LON = 85_300  # at 39.9° N


def quick_fill(cast, *, hours_ago: float, spot: str, code: str = "C0101", by=None, dx_m=0.0):
    """A report written from the quick-fill phrase of its category, as most reports are."""
    name = KINDS[code]
    return plain_case(
        cast.territory.cell_a,
        reporter=by or cast.reporter,
        at=timezone.now() - timedelta(hours=hours_ago),
        title=f"{cast.territory.community1.name}{spot}{name}",
        description=f"巡查发现{spot}的{name}损坏，存在安全隐患，需尽快处理。",
        category=Category.objects.get(code=code),
        lon=116.405 + dx_m / METRES_PER_DEGREE_LON,
    )


@pytest.fixture
def district(cast):
    """The district's week of quick-fill reports elsewhere (every kind at every spot, three
    times), and the worker's own round: twenty reports within 40 m of the corner over the
    last months, none in the last week."""
    for i, (code, spot) in enumerate((c, s) for c in KINDS for s in SPOTS for _ in range(3)):
        quick_fill(cast, hours_ago=30 + i, spot=spot, code=code, by=cast.worker_b, dx_m=3000 + i)
    for i in range(20):
        code, spot = list(KINDS)[i % len(KINDS)], SPOTS[i % len(SPOTS)]
        quick_fill(cast, hours_ago=24 * (10 + 3 * i), spot=spot, code=code, dx_m=(i % 9) * 4)
    return cast


def flagged() -> set[int]:
    return set(
        IntegrityFlag.objects.filter(rule=Rule.NEAR_DUPLICATE).values_list("case_id", flat=True)
    )


def scan() -> None:
    run_rules(since=timezone.now() - timedelta(days=1), rules=[Rule.NEAR_DUPLICATE])


def test_the_quick_fill_phrase_again_at_a_corner_of_the_daily_round_is_not_flagged(district):
    quick_fill(district, hours_ago=120, spot="东门")
    quick_fill(district, hours_ago=2, spot="东门", dx_m=20)

    scan()

    assert flagged() == set()


def test_the_same_words_filed_again_hours_later_at_one_spot_are_flagged(district, client):
    quick_fill(district, hours_ago=7, spot="东门")
    again = quick_fill(district, hours_ago=2, spot="东门", dx_m=3)

    scan()

    assert flagged() == {again.pk}
    match = IntegrityFlag.objects.get(case=again).evidence["matches"][0]
    assert match["agree_on"] == "phrase" and match["filer_reports_nearby"] == 21
    client.force_login(district.staff)
    page = client.get("/integrity/").content.decode()
    assert "in the same words" in page
    assert "of the district's reports use these very words" in page
    assert "21 other reports within 50 m of here in the 90 days before" in page


def test_the_same_words_at_a_gate_where_every_report_is_are_weighed_by_how_often_it_is_named_there(
    district, client
):
    """The east gate is where the estate's problems are: sixty reports by the other worker
    within 30 m of it in the months before, all naming 东门. A gate named in most reports
    around is met again by chance far more often than the district's share says."""
    for i in range(60):
        code = list(KINDS)[i % len(KINDS)]
        quick_fill(
            district,
            hours_ago=24 * (9 + i),
            spot="东门",
            code=code,
            by=district.worker_b,
            dx_m=i % 30,
        )
    quick_fill(district, hours_ago=9, spot="东门")
    again = quick_fill(district, hours_ago=2, spot="东门", dx_m=3)

    scan()

    assert flagged() == set()
    quick_fill(district, hours_ago=9, spot="北侧", dx_m=1)
    refile = quick_fill(district, hours_ago=2, spot="北侧", dx_m=4)
    scan()
    assert flagged() == {refile.pk}  # a spot seldom named here is weighed as before
    here = IntegrityFlag.objects.get(case=refile).evidence["matches"][0]["place_here"]
    assert here["place"] == "北" and here["naming"] == 4 and here["reports"] == 82
    assert again.pk not in flagged()
    client.force_login(district.staff)
    page = client.get("/integrity/").content.decode()
    assert "4 of the 82 reports within 50 m of here in the 90 days before name “北”" in page


def test_a_worker_who_never_reports_at_the_corner_refiling_it_a_day_later_is_flagged(district):
    quick_fill(district, hours_ago=30, spot="东门")
    refile = quick_fill(district, hours_ago=2, spot="东门", by=district.worker_b, dx_m=12)

    scan()

    assert flagged() == {refile.pk}
    match = IntegrityFlag.objects.get(case=refile).evidence["matches"][0]
    assert match["same_reporter"] is False and match["filer_reports_nearby"] == 0


def test_a_flag_raised_before_chance_was_weighed_shows_no_chance_sentence(cast, client):
    later = quick_fill(cast, hours_ago=2, spot="东门")
    earlier = {"case_id": later.pk - 1, "number": "N-1", "similarity": 0.9, "same_reporter": True}
    IntegrityFlag.objects.create(
        rule=Rule.NEAR_DUPLICATE, case=later, subject=cast.reporter, evidence={"matches": [earlier]}
    )
    client.force_login(cast.staff)
    page = client.get("/integrity/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "in other words" in page
    assert "duplicate-chance" not in page and "once in" not in page
