"""Near-duplicates as a worker who knows the rule files them: reworded, refiled by a
neighbour or under a sibling category — and the quick-fill phrases and honest joint
reports that must not be flagged (issue 19)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Category
from integrity.models import IntegrityFlag, Rule
from integrity.rules.text import disagreement, identifiers, normalise
from integrity.services import run_rules

from .conftest import plain_case

pytestmark = pytest.mark.django_db

ORIGINAL = ("和平社区3号楼旁上水井盖", "巡查发现3号楼旁的上水井盖损坏，存在安全隐患，需尽快处理。")


def report(cast, *, hours_ago: float, title: str, description: str, by=None, code="C0101", dx_m=0):
    return plain_case(
        cast.territory.cell_a,
        reporter=by or cast.reporter,
        at=timezone.now() - timedelta(hours=hours_ago),
        title=title,
        description=description,
        category=Category.objects.get(code=code),
        lon=116.405 + dx_m / 85_300,
    )


def background(cast, n: int = 30) -> None:
    """The district's quick-fill reports elsewhere in the days the rule reads: what tells
    template from content, and how common a kind of report at a spot is."""
    spots = ["东门", "北侧", "路口", "小广场", "公交站", "南门"]
    for i in range(n):
        spot = spots[i % len(spots)]
        report(
            cast,
            hours_ago=30 + i,
            by=cast.worker_b,
            title=f"光明社区{spot}路灯",
            description=f"巡查发现{spot}的路灯损坏，存在安全隐患，需尽快处理。",
            code="C0104",
            dx_m=2000 + 100 * i,
        )


def flagged() -> set[int]:
    return set(
        IntegrityFlag.objects.filter(rule=Rule.NEAR_DUPLICATE).values_list("case_id", flat=True)
    )


def test_a_reworded_refile_with_the_number_written_out_is_flagged(cast, client):
    background(cast)
    report(cast, hours_ago=40, title=ORIGINAL[0], description=ORIGINAL[1])
    reworded = report(
        cast,
        hours_ago=2,
        title="三号楼边上井盖坏了",
        description="今天巡查时看到三号楼边上的井盖破了，容易伤人，麻烦尽快处理一下。",
        dx_m=8,
    )

    run_rules(since=timezone.now() - timedelta(days=1), rules=[Rule.NEAR_DUPLICATE])

    assert flagged() == {reworded.pk}
    match = IntegrityFlag.objects.get(case=reworded).evidence["matches"][0]
    assert match["same_reporter"] is True
    assert match["shared_terms"]  # what the two reports have in common, for the reviewer
    client.force_login(cast.staff)
    page = client.get("/integrity/").content.decode()
    assert "The same worker filed" in page and "in other words" in page


def test_the_same_quick_fill_phrase_naming_another_spot_is_not_flagged(cast):
    background(cast)
    report(cast, hours_ago=40, title=ORIGINAL[0], description=ORIGINAL[1])
    report(
        cast,
        hours_ago=2,
        title="和平社区东门上水井盖",
        description="巡查发现东门的上水井盖损坏，存在安全隐患，需尽快处理。",
        dx_m=10,
    )
    report(
        cast,
        hours_ago=1,
        title="和平社区5号楼旁上水井盖",
        description="巡查发现5号楼旁的上水井盖损坏，存在安全隐患，需尽快处理。",
        dx_m=-10,
    )

    run_rules(since=timezone.now() - timedelta(days=1), rules=[Rule.NEAR_DUPLICATE])

    assert flagged() == set()


def test_a_refile_by_another_worker_a_day_later_under_a_sibling_category_is_flagged(cast):
    background(cast)
    report(cast, hours_ago=30, title=ORIGINAL[0], description=ORIGINAL[1])
    refile = report(
        cast,
        hours_ago=3,
        by=cast.worker_b,
        title="3号楼旁井盖破损",
        description="3号楼旁边井盖破损移位，行人容易踩空，请尽快处理。",
        code="C0102",  # 污水井盖: the sibling of 上水井盖
        dx_m=12,
    )

    run_rules(since=timezone.now() - timedelta(days=1), rules=[Rule.NEAR_DUPLICATE])

    assert flagged() == {refile.pk}
    match = IntegrityFlag.objects.get(case=refile).evidence["matches"][0]
    assert match["same_reporter"] is False
    assert match["same_category"] is False


def test_two_workers_reporting_one_event_within_hours_are_a_merge_candidate_not_a_flag(cast):
    background(cast)
    report(cast, hours_ago=5, title=ORIGINAL[0], description=ORIGINAL[1])
    report(
        cast,
        hours_ago=4,
        by=cast.worker_b,
        title="3号楼旁井盖破损",
        description="3号楼旁边井盖破损移位，行人容易踩空，请尽快处理。",
        dx_m=6,
    )

    run_rules(since=timezone.now() - timedelta(days=1), rules=[Rule.NEAR_DUPLICATE])

    assert flagged() == set()


def test_a_different_object_at_the_same_spot_is_not_a_duplicate(cast):
    background(cast)
    report(cast, hours_ago=30, title=ORIGINAL[0], description=ORIGINAL[1])
    report(
        cast,
        hours_ago=2,
        title="和平社区3号楼旁污水井盖",
        description="巡查发现3号楼旁的污水井盖损坏，存在安全隐患，需尽快处理。",
        code="C0102",
        dx_m=5,
    )

    run_rules(since=timezone.now() - timedelta(days=1), rules=[Rule.NEAR_DUPLICATE])

    assert flagged() == set()


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        ("3号楼旁井盖", "三号楼边上井盖", None),
        ("3号楼旁井盖", "5号楼旁井盖", "numbers"),
        ("东门井盖", "东大门口的井盖", None),
        ("东门井盖", "南门井盖", "place"),
        ("东门井盖", "3号楼旁井盖", "place"),
        ("东门上水井盖", "东门路灯", "object"),
        ("十二号楼井盖", "12号楼井盖", None),
        # A side of the estate in a worker's own words: "靠北那边", "北头", "南端".
        ("北侧井盖", "靠北那边的井盖", None),
        ("北侧井盖", "靠南那边有个井盖", "place"),
        ("东门井盖", "西头的井盖", "place"),
        ("南面井盖", "北端的井盖", "place"),
    ],
)
def test_numbers_spots_and_objects_must_agree(a, b, why):
    assert disagreement(normalise(a), normalise(b), ["上水井盖", "路灯"]) == why


@pytest.mark.parametrize(
    ("text", "side"),
    [("靠北那边井盖", "北"), ("北那边井盖", "北"), ("东头井盖", "东"), ("南端井盖", "南")],
)
def test_a_side_said_in_other_words_is_the_same_spot(text, side):
    assert identifiers(normalise(text)) == (frozenset(), frozenset({side}))


def test_a_community_named_after_a_garden_does_not_put_every_report_at_one_spot(cast):
    """樱花园社区 holds "花园", a spot word: two quick-fill reports of the community naming
    different spots must still disagree on where they are."""
    cast.territory.community1.name = "樱花园社区"
    cast.territory.community1.save(update_fields=["name"])
    background(cast)
    report(
        cast,
        hours_ago=40,
        title="樱花园社区路口上水井盖",
        description="巡查发现路口的上水井盖损坏，存在安全隐患，需尽快处理。",
    )
    report(
        cast,
        hours_ago=2,
        title="樱花园社区南门上水井盖",
        description="巡查发现南门的上水井盖损坏，存在安全隐患，需尽快处理。",
        dx_m=10,
    )

    run_rules(since=timezone.now() - timedelta(days=1), rules=[Rule.NEAR_DUPLICATE])

    assert flagged() == set()


def test_a_category_holding_a_spot_word_is_not_a_spot(cast):
    """公交站亭 holds "公交站": the same shelter category at two spots is two problems, while
    a refile at the same spot is still found."""
    background(cast)
    shelter = "C0203"  # 公交站亭
    report(
        cast,
        hours_ago=40,
        title="和平社区北侧公交站亭",
        description="巡查发现北侧的公交站亭损坏，存在安全隐患，需尽快处理。",
        code=shelter,
    )
    report(
        cast,
        hours_ago=3,
        title="和平社区东门公交站亭",
        description="巡查发现东门的公交站亭损坏，存在安全隐患，需尽快处理。",
        code=shelter,
        dx_m=10,
    )
    refile = report(
        cast,
        hours_ago=2,
        title="北边公交站亭坏了",
        description="今天巡查时看到北边那个公交站亭玻璃碎了，请尽快处理。",
        code=shelter,
        dx_m=-6,
    )

    run_rules(since=timezone.now() - timedelta(days=1), rules=[Rule.NEAR_DUPLICATE])

    assert flagged() == {refile.pk}
