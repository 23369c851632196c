"""The open-case tally (``assessment.tally``): PostgreSQL's triggers keep, per cell, street,
department and deadline day, the cases open now; the dashboard reads it instead of the case
table. Whatever writes cases — saves, bulk updates, deletes — the tally answers exactly what
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
from assessment.models import OpenCaseTally
from assessment.rollups import day_start, open_case_counts
from cases.models import Case, CaseStatus

from .conftest import make_case

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the tally is kept by PostgreSQL's triggers"
)

STATUSES = list(CaseStatus.values)
KEYS = [{"unit": "street_id"}, {"unit": "cell_id"}, {"unit": "department_id"}, {}]


def scanned(t1, **kwargs):
    """The same question answered from the case table (the tally switched off)."""
    maintained = tally.maintained
    tally.maintained = lambda using="default": False
    try:
        return open_case_counts(t1, **kwargs)
    finally:
        tally.maintained = maintained


def assert_tally_matches_cases(territory) -> None:
    today = timezone.localdate()
    for back in (-1, 0, 3, 10, 40):  # tomorrow's midnight (a period ending today) and before
        t1 = day_start(today - timedelta(days=back))
        for keys in KEYS:
            for where in (None, {"street_id__in": [territory.street1.pk]}):
                q = None if where is None else Q(**where)
                for by_due_day in (False, True) if keys else (True,):  # as the trend asks
                    kwargs = {"keys": keys, "where": q, "by_due_day": by_due_day}
                    assert open_case_counts(t1, **kwargs) == scanned(t1, **kwargs), (back, kwargs)


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
        Case.objects.filter(pk__in=ids[:5]).update(cell=territory.cell_b, department=None)
        Case.objects.filter(pk__in=ids[5:8]).update(due_at=now - timedelta(days=rng.randint(1, 9)))
        gone = rng.choice(cases)
        cases.remove(gone)
        Case.objects.filter(pk=gone.pk).delete()
        cases += [random_case(rng, territory, now) for _ in range(5)]
        for case in cases:
            case.refresh_from_db()
        assert_tally_matches_cases(territory)
    rows = OpenCaseTally.objects.count()
    assert tally.compact() > 0
    assert OpenCaseTally.objects.count() < rows
    keys = OpenCaseTally.objects.values_list("cell_id", "street_id", "department_id", "late_day")
    assert len(set(keys)) == len(keys)  # one row per key
    assert not OpenCaseTally.objects.filter(n=0).exists()
    assert_tally_matches_cases(territory)


@pytest.mark.django_db
def test_a_statement_that_moves_no_open_case_appends_nothing(territory):
    case = make_case(territory.cell_a, status=CaseStatus.HANDLING, created=timezone.now())
    rows = OpenCaseTally.objects.count()
    Case.objects.filter(pk=case.pk).update(title="改过的标题", intake_pending=False)
    case.refresh_from_db()
    case.save()
    assert OpenCaseTally.objects.count() == rows


@pytest.mark.django_db
def test_the_dashboard_counts_read_the_tally_not_the_case_table(territory):
    make_case(territory.cell_a, status=CaseStatus.HANDLING, created=timezone.now())
    t1 = day_start(timezone.localdate() + timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        counts = open_case_counts(t1, keys={"unit": "cell_id"}, by_due_day=True)
    assert counts == {(None, territory.cell_a.pk): {"open": 1, "overdue_open": 0}}
    assert len(queries) == 1
    assert Case._meta.db_table not in queries[0]["sql"]
    assert OpenCaseTally._meta.db_table in queries[0]["sql"]
    # not a local midnight: a deadline's day cannot answer it, so the cases are counted
    with CaptureQueriesContext(connection) as queries:
        open_case_counts(t1 - timedelta(hours=5), keys={})
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


@pytest.mark.django_db(transaction=True)
def test_writers_in_the_same_cell_never_wait_for_each_other(territory):
    """Two transactions changing cases of one cell and department both go through at once:
    the tally appends rows, it has no counter row for them to queue on."""
    first = make_case(territory.cell_a, status=CaseStatus.ACCEPTED, created=timezone.now())
    second = make_case(territory.cell_a, status=CaseStatus.ACCEPTED, created=timezone.now())
    holding, release, errors = threading.Event(), threading.Event(), []

    def other_writer() -> None:
        try:
            with transaction.atomic():
                Case.objects.filter(pk=first.pk).update(department=territory.department)
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
            Case.objects.filter(pk=second.pk).update(department=territory.department)
    finally:
        release.set()
        thread.join(timeout=30)
    assert not errors
    by_department = open_case_counts(
        day_start(timezone.localdate() + timedelta(days=1)), keys={"unit": "department_id"}
    )
    assert by_department == {(territory.department.pk,): {"open": 2, "overdue_open": 0}}
