"""The SLA scanner tells each person once per scan and kind ("30 cases in your charge became
overdue", linking to them), and each case keeps the occasion in its own timeline."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.urls import reverse

from cases.models import Case
from workflows import tasks
from workflows.models import Effect, Notification, NotificationKind, SlaNotice
from workflows.sla import scan_deadlines

from ..cases.personas import new_case
from .locking import needs_row_locks

pytestmark = pytest.mark.django_db

K = NotificationKind


def test_thirty_cases_overdue_at_once_make_one_digest_per_person(cast):
    cases = [new_case(cast) for _i in range(30)]
    result = scan_deadlines(now=max(c.due_at for c in cases) + timedelta(seconds=1))
    assert (result.overdue, result.notifications) == (30, 1)
    digest = Notification.objects.get()  # street staff accept collected cases: one person
    assert (digest.user, digest.kind, digest.case) == (cast.staff, K.OVERDUE, None)
    assert "30" in digest.message
    assert digest.link == reverse("case-list") + "?overdue=true"
    # Each case keeps its own record of the occasion.
    notices = SlaNotice.objects.filter(kind=K.OVERDUE)
    assert sorted(notices.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
    assert set(notices.values_list("told", flat=True)) == {1}


def test_a_digest_counts_every_batch_of_its_scan_and_its_email_is_owed_once(cast):
    cast.staff.email = "staff@example.org"
    cast.staff.save(update_fields=["email"])
    cases = [new_case(cast) for _i in range(5)]
    now = max(c.due_at for c in cases) + timedelta(seconds=1)
    result = scan_deadlines(now=now, batch_size=2)
    assert (result.batches, result.overdue, result.notifications) == (3, 5, 1)
    digest = Notification.objects.get()
    assert "5" in digest.message
    emails = Effect.objects.filter(kind=Effect.Kind.EMAIL)
    assert [e.args["notification_id"] for e in emails] == [digest.pk]
    # The next scan has nothing to tell.
    assert scan_deadlines(now=now).notifications == 0
    assert Notification.objects.count() == 1


def test_the_case_page_shows_the_scanners_steps_in_its_timeline(cast, as_user):
    case = new_case(cast)
    scan_deadlines(now=case.due_at + timedelta(days=60))  # yellow, then red, in one scan
    page = as_user(cast.staff).get(reverse("case-page", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-action="sla-overdue"' in body and 'data-action="sla-escalation"' in body
    assert "red card" in body
    assert body.index('data-action="create"') < body.index('data-action="sla-overdue"')
    assert Case.objects.get(pk=case.pk).escalation_level == 2


def test_the_inbox_links_a_digest_to_its_cases(cast, as_user):
    case = new_case(cast)
    scan_deadlines(now=case.due_at + timedelta(seconds=1))
    page = as_user(cast.staff).get(reverse("inbox"), HTTP_ACCEPT_LANGUAGE="en")
    assert f'href="{reverse("case-list")}?overdue=true"' in page.content.decode()


@needs_row_locks
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_scanners_at_once_tell_of_each_case_once(cast, monkeypatch):
    monkeypatch.setattr(tasks, "request_intake_follow_up", lambda: None)
    cases = [new_case(cast) for _i in range(24)]
    now = max(c.due_at for c in cases) + timedelta(seconds=1)
    results: list = []

    def scan() -> None:
        try:
            results.append(scan_deadlines(now=now, batch_size=3))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scan) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.overdue for r in results) == 24
    assert scan_deadlines(now=now).overdue == 0
    assert SlaNotice.objects.filter(kind=K.OVERDUE).count() == 24
    # Each scanner's digest counts the cases it marked: together, every case once.
    digests = Notification.objects.filter(user=cast.staff, kind=K.OVERDUE)
    assert 1 <= digests.count() <= 2
    assert sum(int(re.search(r"\d+", d.message).group()) for d in digests) == 24


def test_a_scan_cut_short_after_its_first_batch_still_owes_that_batchs_emails(cast, monkeypatch):
    """The task's soft time limit may cut a scan between batches: the digests of the batches
    it committed are in the inbox, and their emails are owed too."""
    from celery.exceptions import SoftTimeLimitExceeded

    from workflows import sla

    cast.staff.email = "staff@example.org"
    cast.staff.save(update_fields=["email"])
    cases = [new_case(cast) for _i in range(5)]
    now = max(c.due_at for c in cases) + timedelta(seconds=1)
    run_batch, batches = sla._scan_batch, []

    def cut_after_the_first(*args, **kwargs):
        if batches:
            raise SoftTimeLimitExceeded()
        batches.append(1)
        return run_batch(*args, **kwargs)

    monkeypatch.setattr(sla, "_scan_batch", cut_after_the_first)
    with pytest.raises(SoftTimeLimitExceeded):
        scan_deadlines(now=now, batch_size=2)
    digest = Notification.objects.get()
    assert "2" in digest.message
    emails = Effect.objects.filter(kind=Effect.Kind.EMAIL)
    assert [e.args["notification_id"] for e in emails] == [digest.pk]
    # The next scan goes on: the same person's new digest is owed its own email, once.
    monkeypatch.setattr(sla, "_scan_batch", run_batch)
    assert scan_deadlines(now=now, batch_size=2).overdue == 3
    digests = Notification.objects.order_by("id")
    assert sorted(e.args["notification_id"] for e in emails.all()) == [d.pk for d in digests]


@needs_row_locks
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_batches_run_at_once_on_their_own_connections_and_count_one_digest(
    cast, monkeypatch, settings
):
    """On PostgreSQL a scan's batches run side by side (most of their time is the database's
    index upkeep); each counts its digests in turn, so the one digest still counts them all."""
    from workflows import sla

    monkeypatch.setattr(tasks, "request_intake_follow_up", lambda: None)
    settings.SLA_SCAN_CONNECTIONS = 3
    cast.staff.email = "staff@example.org"
    cast.staff.save(update_fields=["email"])
    cases = [new_case(cast) for _i in range(30)]
    now = max(c.due_at for c in cases) + timedelta(seconds=1)
    run_batch, threads = sla._scan_batch, set()

    def noting_the_thread(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return run_batch(*args, **kwargs)

    monkeypatch.setattr(sla, "_scan_batch", noting_the_thread)
    result = scan_deadlines(now=now, batch_size=3)
    assert (result.batches, result.overdue, result.notifications) == (10, 30, 1)
    assert len(threads) > 1 and all(name.startswith("sla-scan") for name in threads)
    digest = Notification.objects.get()
    assert re.search(r"\d+", digest.message).group() == "30"
    assert SlaNotice.objects.filter(kind=K.OVERDUE).count() == 30
    emails = Effect.objects.filter(kind=Effect.Kind.EMAIL)
    assert [e.args["notification_id"] for e in emails] == [digest.pk]
    assert scan_deadlines(now=now).overdue == 0
