"""The open-case tallies (``assessment.tally``): PostgreSQL's triggers keep, per street and
deadline day and per cell, the cases open now; the dashboard reads them instead of the case
table. Whatever writes cases — saves, bulk updates, deletes — the tallies answer exactly what
a scan of the open cases answers."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from assessment import tally
from assessment.models import OpenCaseTally, OpenCellTally
from assessment.rollups import day_start, open_case_counts, overdue_open_before
from cases.models import Case, CaseStatus

from .conftest import make_case

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the tally is kept by PostgreSQL's triggers"
)

STATUSES = list(CaseStatus.values)


def scanned(question, *args, **kwargs):
    """The same question answered from the case table (the tally switched off)."""
    maintained = tally.maintained
    tally.maintained = lambda using="default": False
    try:
        return question(*args, **kwargs)
    finally:
        tally.maintained = maintained


def assert_tally_matches_cases(territory) -> None:
    today = timezone.localdate()
    ends = [day_start(today - timedelta(days=back)) for back in (40, 10, 3, 0, -1)]
    for where in (None, Q(street_id__in=[territory.street1.pk])):
        for t1 in ends:  # tomorrow's midnight (a period ending today) and before
            kwargs = {"keys": {"unit": "street_id"}, "where": where}
            assert open_case_counts(t1, **kwargs) == scanned(open_case_counts, t1, **kwargs)
        assert overdue_open_before(ends, where=where) == scanned(
            overdue_open_before, ends, where=where
        )
    # per cell (the map): at midnights, now and in an hour, all cells or one
    now = timezone.now()
    for where in (None, Q(street_id__in=[territory.street1.pk]), Q(cell_id=territory.cell_a.pk)):
        for t1 in (*ends, now, now + timedelta(hours=1)):
            kwargs = {"keys": {"unit": "cell_id"}, "where": where}
            assert open_case_counts(t1, **kwargs) == scanned(open_case_counts, t1, **kwargs)


def random_case(rng: random.Random, territory, now) -> Case:
    cell = rng.choice([territory.cell_a, territory.cell_b, territory.cell_x])
    due = now + timedelta(hours=rng.randint(-24 * 50, 24 * 5)) if rng.random() < 0.8 else None
    return make_case(
        cell,
        status=rng.choice(STATUSES),
        created=now - timedelta(days=rng.randint(0, 60)),
        department=territory.department if rng.random() < 0.6 else None,
        due_at=due,
        overdue=due is not None and due < now and rng.random() < 0.9,
    )


@pytest.mark.django_db
def test_any_sequence_of_writes_leaves_the_tally_equal_to_a_scan(territory):
    """Random cases, then random saves, bulk updates (as the SLA scan makes), moves between
    cells and departments, and deletes, checked against a scan after every round — and after
    compaction, which must change no answer."""
    rng = random.Random(20261130)
    now = timezone.now()
    cases = [random_case(rng, territory, now) for _ in range(60)]
    assert_tally_matches_cases(territory)
    for _round in range(6):
        for case in rng.sample(cases, 15):  # one save per case, as a transition does
            case.transition_to(rng.choice(STATUSES))
            case.overdue = not case.overdue if case.due_at else False
            case.save()
        ids = [c.pk for c in rng.sample(cases, 20)]
        Case.objects.filter(pk__in=ids, due_at__lt=now).update(overdue=True)  # the SLA scan
        Case.objects.filter(pk__in=ids[:5]).update(cell=territory.cell_x, street=territory.street2)
        Case.objects.filter(pk__in=ids[5:8]).update(due_at=now - timedelta(days=rng.randint(1, 9)))
        gone = rng.choice(cases)
        cases.remove(gone)
        Case.objects.filter(pk=gone.pk).delete()
        cases += [random_case(rng, territory, now) for _ in range(5)]
        for case in cases:
            case.refresh_from_db()
        assert_tally_matches_cases(territory)
    rows = OpenCaseTally.objects.count(), OpenCellTally.objects.count()
    assert tally.compact() > 0
    assert OpenCaseTally.objects.count() < rows[0]
    assert OpenCellTally.objects.count() < rows[1]
    for model, columns in (
        (OpenCaseTally, ("street_id", "late_day")),
        (OpenCellTally, ("street_id", "cell_id", "late")),
    ):
        keys = model.objects.values_list(*columns)
        assert len(set(keys)) == len(keys)  # one row per key
        assert not model.objects.filter(n=0).exists()
    assert_tally_matches_cases(territory)


@pytest.mark.django_db
def test_a_statement_that_moves_no_open_case_appends_nothing(territory):
    case = make_case(territory.cell_a, status=CaseStatus.HANDLING, created=timezone.now())
    rows = OpenCaseTally.objects.count(), OpenCellTally.objects.count()
    Case.objects.filter(pk=case.pk).update(title="改过的标题", intake_pending=False)
    case.refresh_from_db()
    case.save()
    assert (OpenCaseTally.objects.count(), OpenCellTally.objects.count()) == rows


@pytest.mark.django_db
def test_the_dashboard_counts_read_the_tally_not_the_case_table(territory):
    make_case(territory.cell_a, status=CaseStatus.HANDLING, created=timezone.now())
    t1 = day_start(timezone.localdate() + timedelta(days=1))
    streets = Q(street_id__in=[territory.street1.pk, territory.street2.pk])
    with CaptureQueriesContext(connection) as queries:
        counts = open_case_counts(t1, keys={"unit": "street_id"}, where=streets)
        overdue_open_before([t1], where=streets)
    assert counts == {(territory.street1.pk,): {"open": 1, "overdue_open": 0}}
    assert len(queries) == 2
    for query in queries:
        assert Case._meta.db_table not in query["sql"]
        assert OpenCaseTally._meta.db_table in query["sql"]
    # by cell: the cell tally, and the few overdue cases whose deadline is not yet passed by
    # the end asked for, from the overdue index (not a scan of the open cases)
    with CaptureQueriesContext(connection) as queries:
        counts = open_case_counts(t1, keys={"unit": "cell_id"}, where=streets)
    assert counts == {(territory.cell_a.pk,): {"open": 1, "overdue_open": 0}}
    tally_reads = [q["sql"] for q in queries if OpenCellTally._meta.db_table in q["sql"]]
    case_reads = [q["sql"] for q in queries if q["sql"] not in tally_reads]
    assert len(tally_reads) == len(case_reads) == 1
    assert '"cases_case"."due_at" >=' in case_reads[0]
    # what no tally can answer is counted from the cases: narrowed to a community, at a
    # moment that is not a local midnight
    for question in (
        lambda: open_case_counts(
            t1, keys={"unit": "street_id"}, where=Q(cell__community_id=territory.community1.pk)
        ),
        lambda: open_case_counts(t1 - timedelta(hours=5), keys={"unit": "street_id"}),
    ):
        with CaptureQueriesContext(connection) as queries:
            question()
        assert Case._meta.db_table in queries[0]["sql"]


@pytest.mark.django_db
def test_installing_recounts_and_a_new_time_zone_is_installed_after_migrate(territory):
    now = timezone.now()
    # overdue since 23:30 UTC: the 30th in UTC, the next day in Shanghai
    due = now.replace(hour=23, minute=30, second=0, microsecond=0) - timedelta(days=2)
    make_case(territory.cell_a, status=CaseStatus.HANDLING, created=now, due_at=due, overdue=True)
    OpenCaseTally.objects.all().delete()  # lost, as if it had never been counted
    tally.install()
    assert list(OpenCaseTally.objects.values_list("late_day", "n")) == [
        (timezone.localtime(due).date(), 1)
    ]
    assert tally.installed_zone() == "Asia/Shanghai"
    with override_settings(TIME_ZONE="UTC"):
        tally.install_if_stale()
        assert tally.installed_zone() == "UTC"
        assert list(OpenCaseTally.objects.values_list("late_day", flat=True)) == [due.date()]
    tally.install_if_stale()
    assert tally.installed_zone() == "Asia/Shanghai"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writers_in_the_same_cell_never_wait_for_each_other(territory):
    """Two transactions moving cases of one street into the open cases both go through at
    once: the tally appends rows, it has no counter row for them to queue on."""
    first = make_case(territory.cell_a, status=CaseStatus.ACCEPTED, created=timezone.now())
    second = make_case(territory.cell_a, status=CaseStatus.ACCEPTED, created=timezone.now())
    late = timezone.now() - timedelta(days=1)  # both become overdue: one key, the same day
    holding, release, errors = threading.Event(), threading.Event(), []

    def other_writer() -> None:
        try:
            with transaction.atomic():
                Case.objects.filter(pk=first.pk).update(overdue=True, due_at=late)
                holding.set()
                release.wait(timeout=30)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            Case.objects.filter(pk=second.pk).update(overdue=True, due_at=late)
    finally:
        release.set()
        thread.join(timeout=30)
    assert not errors
    assert OpenCaseTally.objects.filter(late_day=timezone.localtime(late).date()).count() == 2
    by_street = open_case_counts(
        day_start(timezone.localdate() + timedelta(days=1)), keys={"unit": "street_id"}
    )
    assert by_street == {(territory.street1.pk,): {"open": 2, "overdue_open": 2}}
