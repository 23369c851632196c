"""The after-intake sweep works in batches: a constant number of queries per batch, and
duplicate candidates that grow with the reports of one place, not with their square."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, DuplicateCandidate
from workflows import intake_follow_up
from workflows.models import Effect, Notification, NotificationKind, ResidentMessage

from ..cases.personas import new_case

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
