"""The after-intake sweep works in batches: a constant number of queries per batch, and
duplicate candidates that grow with the reports of one place, not with their square."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.duplicates import MAX_CANDIDATES, RADIUS_M, WINDOW
from cases.models import Case, DuplicateCandidate
from cases.services import create_case
from grids.geometry import haversine_m
from workflows import intake_follow_up
from workflows.models import Effect, Notification, NotificationKind, ResidentMessage

from ..cases.personas import POINT_A, new_case

pytestmark = pytest.mark.django_db


def _sweep_same_place(cast, count: int, *, resident: bool = False) -> tuple[int, int]:
    """File ``count`` reports of one problem at one place, sweep once: (queries, candidate
    rows). Earlier rounds' cases are out of the window of this one's."""
    Case.objects.update(intake_pending=False, status="rejected")
    DuplicateCandidate.objects.all().delete()
    for _n in range(count):
        new_case(cast, resident=resident)
    with CaptureQueriesContext(connection) as queries:
        sweep = intake_follow_up.follow_up_pending(seconds=60)
    assert (sweep.done, sweep.finished) == (count, True)
    return len(queries), DuplicateCandidate.objects.count()


def test_candidates_grow_linearly_with_same_place_reports_in_constant_queries(cast):
    small_queries, small_rows = _sweep_same_place(cast, 6)
    large_queries, large_rows = _sweep_same_place(cast, 18)
    # Each later report points at the first, not at every earlier one (N²/2).
    assert (small_rows, large_rows) == (5, 17)
    first = Case.objects.order_by("-id")[17]
    assert set(DuplicateCandidate.objects.values_list("candidate_id", flat=True)) == {first.pk}
    # One batch: the same queries for 6 cases and for 18.
    assert small_queries == large_queries <= 16


def test_a_batch_of_residents_reports_owes_each_message_once(cast):
    queries, _rows = _sweep_same_place(cast, 4, resident=True)
    assert queries <= 20
    messages = ResidentMessage.objects.all()
    assert messages.count() == 4
    owed = Effect.objects.filter(kind=Effect.Kind.RESIDENT_MESSAGE)
    assert sorted(e.args["message_id"] for e in owed) == sorted(m.pk for m in messages)
    # Swept again (a redelivery): nothing new is owed or told.
    Case.objects.update(intake_pending=True)
    before = Notification.objects.count(), owed.count()
    intake_follow_up.follow_up_pending(seconds=60)
    assert (Notification.objects.count(), owed.count()) == before
    assert Notification.objects.filter(kind=NotificationKind.DUPLICATE).count() == 3


def test_a_follower_is_a_candidate_only_where_no_first_report_is_near(cast):
    first, second = new_case(cast), new_case(cast)
    intake_follow_up.follow_up_pending(seconds=60)
    # second follows first; a third report at the same place points at first alone.
    third = new_case(cast)
    intake_follow_up.follow_up_pending(seconds=60)
    pairs = set(DuplicateCandidate.objects.values_list("case_id", "candidate_id"))
    assert pairs == {(second.pk, first.pk), (third.pk, first.pk)}


def test_a_batch_finds_what_the_rule_says_pair_by_pair(cast):
    """Random reports around one place, of two categories, over five days, some rejected and
    some already followers: the batch's candidates are those the rule names when every pair
    is measured one by one."""
    rng = random.Random(19)
    cases = []
    for _n in range(70):
        case = create_case(
            by=cast.reporter,
            title="井盖丢失",
            description="人行道上水井盖丢失",
            category_code=rng.choice(("C0101", "C0102")),
            lon=POINT_A[0] + rng.uniform(-0.0009, 0.0009),
            lat=POINT_A[1] + rng.uniform(-0.0007, 0.0007),
        )
        created = case.created_at - timedelta(hours=rng.choice((0, rng.uniform(0, 120))))
        status = "rejected" if rng.random() < 0.1 else case.status
        Case.objects.filter(pk=case.pk).update(created_at=created, status=status)
        cases.append(case.pk)
    older = Case.objects.filter(pk__in=cases[:10], status="collected")
    already = {c.pk for c in older[:4]}  # flagged by an earlier sweep
    DuplicateCandidate.objects.bulk_create(
        DuplicateCandidate(case_id=pk, candidate_id=cases[-1], distance_m=1) for pk in already
    )
    rows = {c.pk: c for c in Case.objects.filter(pk__in=cases)}
    Case.objects.filter(pk__in=set(cases) - already).update(intake_pending=True)
    Case.objects.filter(pk__in=already).update(intake_pending=False)

    intake_follow_up.follow_up_pending(seconds=60)

    live = sorted(
        (c for c in rows.values() if c.status != "rejected"), key=lambda c: (c.created_at, c.pk)
    )
    near = {
        c.pk: [
            (haversine_m(c.lon, c.lat, o.lon, o.lat), o.pk)
            for o in live
            if o.category_id == c.category_id
            and (o.created_at, o.pk) < (c.created_at, c.pk)
            and o.created_at >= c.created_at - WINDOW
            and haversine_m(c.lon, c.lat, o.lon, o.lat) <= RADIUS_M
        ]
        for c in live
        if c.pk not in already
    }
    followers = already | {pk for pk, pairs in near.items() if pairs}
    expected = set()
    for pk, pairs in near.items():
        roots = [p for p in pairs if p[1] not in followers]
        expected |= {(pk, other) for _d, other in sorted(roots or pairs)[:MAX_CANDIDATES]}
    stored = set(
        DuplicateCandidate.objects.exclude(case_id__in=already).values_list(
            "case_id", "candidate_id"
        )
    )
    assert len(expected) > 40 and any(len(p) > MAX_CANDIDATES for p in near.values())
    assert stored == expected
