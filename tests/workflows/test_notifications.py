"""Notifications: who must act next, the inbox rows, emails, and the satisfaction request."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import OperationalError, transaction

from cases.models import Case, DuplicateCandidate
from grids.models import Role
from workflows import intake_follow_up, notifications, outbox, tasks
from workflows.models import Effect, Notification, NotificationKind

from ..cases.personas import act, case_in, new_case
from ..factories import assigned_user
from .locking import case_locked_elsewhere, needs_row_locks

pytestmark = pytest.mark.django_db
K = NotificationKind


def inbox(kind: str = K.ACTION_NEEDED) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))


@pytest.fixture
def handler2(territory):
    """A second handler of the same department."""
    return assigned_user(
        Role.HANDLER, "district", territory.district, "handler_b", department=territory.department
    )


def notified_after(cast, action: str, case, **fields) -> set[int]:
    Notification.objects.all().delete()
    case = act(cast, action, case, **fields)
    notifications.notify_next_actor(case.pk, action, case.version)
    return inbox()


def test_the_next_actor_is_told_at_every_step(cast, handler2):
    case = new_case(cast)
    assert notifications.notify_next_actor(case.pk, "create", case.version) == 1
    assert inbox() == {cast.staff.pk}  # collected: street staff accept
    case.refresh_from_db()
    assert notified_after(cast, "accept", case) == {cast.staff.pk}  # accepted: they dispatch
    case.refresh_from_db()
    # dispatched to a department without a named handler: all its handlers
    assert notified_after(cast, "dispatch", case) == {cast.handler.pk, handler2.pk}
    case.refresh_from_db()
    assert notified_after(cast, "start", case) == set()  # the handler acted himself
    case.refresh_from_db()
    assert notified_after(cast, "request_extension", case) == {cast.staff.pk}  # to approve
    case.refresh_from_db()
    assert notified_after(cast, "approve_extension", case) == {cast.handler.pk}
    case.refresh_from_db()
    feedback = notified_after(cast, "report", case)
    case.refresh_from_db()
    assert feedback == {case.verifier_id} and case.verifier_id != cast.handler.pk
    assert notified_after(cast, "verify_pass", case) == {cast.reporter.pk}  # closed


def test_a_named_handler_alone_is_told(cast, handler2):
    case = case_in(cast, "accepted")
    assert notified_after(cast, "dispatch", case, handler_id=handler2.pk) == {handler2.pk}


def test_the_reporter_learns_of_a_rejection(cast):
    case = new_case(cast)
    assert notified_after(cast, "reject", case) == {cast.reporter.pk}
    assert "not accepted" in Notification.objects.get().message


def test_notices_are_sent_once_and_skipped_once_the_case_moved_on(cast):
    case = case_in(cast, "accepted")
    assert outbox.after_transition(case.pk, "accept", case.version) == 1
    assert outbox.after_transition(case.pk, "accept", case.version) == 0
    assert Notification.objects.count() == 1
    # A delivery arriving after the next step has nothing left to say.
    assert outbox.after_transition(case.pk, "create", case.version - 1) == 0
    assert outbox.after_transition(10**9, "accept", 1) == 0


def owed() -> list[str]:
    return list(Effect.objects.values_list("key", flat=True))


def test_every_transition_records_what_it_owes_with_the_step(
    cast, django_capture_on_commit_callbacks, monkeypatch
):
    """Before: what a transition owed (auto-routing, notices) was one broker send after
    commit, and a failed send lost it. Now it is an outbox row written with the step."""
    queued: list[tuple] = []
    for task in (tasks.follow_up_intakes, tasks.deliver_effects):
        monkeypatch.setattr(task, "apply_async", lambda t=task, **kw: queued.append((t.name, kw)))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = new_case(cast)
    tasks.request_intake_follow_up.join()
    assert len(callbacks) == 1
    # One message: the sweep that sends the notice and flags duplicates, a second later.
    delay = {"countdown": tasks.SWEEP_DELAY_SECONDS, "retry": False}
    assert queued == [("workflows.follow_up_intakes", delay)]
    assert Case.objects.get(pk=case.pk).intake_pending and owed() == []
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = act(cast, "accept", case)
    tasks.request_effects_delivery.join()
    assert len(callbacks) == 1
    assert queued == [("workflows.deliver_effects", delay)]
    assert owed() == [f"transition:{case.pk}:accept:2"]
    for action in ("dispatch", "start", "report"):
        case = act(cast, action, case)
    Effect.objects.all().delete()
    case = act(cast, "verify_pass", case)
    # No rating request to the worker who reported it: a worker never rates a case.
    assert owed() == [f"transition:{case.pk}:verify_pass:{case.version}"]
    assert outbox.deliver_pending(seconds=10).done == 1
    assert owed() == [] and inbox() == {cast.reporter.pk}


def test_a_step_rolled_back_owes_nothing(cast):
    case = new_case(cast)
    with pytest.raises(RuntimeError), transaction.atomic():
        act(cast, "accept", case)
        raise RuntimeError("the request failed after the step")
    assert owed() == []
    assert Case.objects.get(pk=case.pk).status == "collected"


def test_a_failing_effect_is_counted_and_kept_and_does_not_hold_up_the_others(cast, monkeypatch):
    first, second = case_in(cast, "accepted"), case_in(cast, "accepted")
    Effect.objects.all().delete()
    outbox.record_transition(first.pk, "accept", first.version)
    outbox.record_transition(second.pk, "accept", second.version)
    real = notifications.notify_next_actor

    def flaky(case_id, action, version):
        if case_id == first.pk:
            raise OperationalError("database hiccup")
        return real(case_id, action, version)

    monkeypatch.setattr(notifications, "notify_next_actor", flaky)
    sweep = outbox.deliver_pending(seconds=10)
    assert (sweep.done, sweep.failed, sweep.finished) == (1, 1, True)
    left = Effect.objects.get()
    assert left.args["case_id"] == first.pk and left.attempts == 1
    assert "database hiccup" in left.last_error
    monkeypatch.setattr(notifications, "notify_next_actor", real)
    assert outbox.deliver_pending(seconds=10).done == 1  # the next sweep delivers it
    assert owed() == [] and Notification.objects.filter(case=first).count() == 1


def test_the_sweep_tells_staff_of_new_cases_and_their_duplicates_once(cast):
    earlier, case = new_case(cast), new_case(cast)  # the same place and category
    assert tasks.follow_up_intakes.run() == 2
    assert inbox() == inbox(K.DUPLICATE) == {cast.staff.pk}
    notices = Notification.objects.filter(kind=K.ACTION_NEEDED)
    assert sorted(n.case_id for n in notices) == [earlier.pk, case.pk]
    duplicate = Notification.objects.get(kind=K.DUPLICATE)
    assert duplicate.case_id == case.pk and earlier.number in duplicate.message
    assert not Case.objects.filter(intake_pending=True).exists()
    assert tasks.follow_up_intakes.run() == 0  # nothing left, nothing sent again
    # Work done again (a redelivery, two sweeps at once) repeats no notice.
    again = Case.objects.select_related("street", "contact").filter(pk__in=[earlier.pk, case.pk])
    assert intake_follow_up.follow_up_cases(list(again)) == {
        "notified": 0,
        "resident": 0,
        "duplicates": 1,
    }
    assert Notification.objects.count() == 3


def test_a_case_accepted_before_the_sweep_gets_no_stale_notice(cast):
    act(cast, "accept", new_case(cast))
    Notification.objects.all().delete()
    assert tasks.follow_up_intakes.run() == 1
    assert not Notification.objects.filter(kind=K.ACTION_NEEDED).exists()


def test_failing_cases_stay_pending_without_holding_up_the_others(cast, monkeypatch, caplog):
    monkeypatch.setattr(intake_follow_up, "BATCH", 2)  # the failures fill a whole batch
    chained: list[tuple] = []
    monkeypatch.setattr(tasks.follow_up_intakes, "delay", lambda *a: chained.append(a))
    broken, timed_out, fine = new_case(cast), new_case(cast), new_case(cast)
    follow_up = intake_follow_up.follow_up_cases

    def fail_for_two(cases) -> dict[str, int]:
        ids = {c.pk for c in cases}
        if broken.pk in ids:
            raise ValueError("a bug in one case's data")
        if timed_out.pk in ids:
            raise OperationalError("canceling statement due to statement timeout")
        return follow_up(cases)

    monkeypatch.setattr(intake_follow_up, "follow_up_cases", fail_for_two)
    assert tasks.follow_up_intakes.run() == 1
    pending = Case.objects.filter(intake_pending=True).order_by("id")
    assert list(pending) == [broken, timed_out]
    assert Notification.objects.filter(case=fine, kind=K.ACTION_NEEDED).exists()
    assert f"case {broken.pk} failed" in caplog.text
    assert f"case {timed_out.pk} failed" in caplog.text
    assert chained == []  # nothing left that this sweep could do: no next sweep queued
    # Fixed: the next sweep does them.
    monkeypatch.setattr(intake_follow_up, "follow_up_cases", follow_up)
    assert tasks.follow_up_intakes.run() == 2
    assert not Case.objects.filter(intake_pending=True).exists()


def test_a_failed_case_keeps_none_of_its_work(cast, monkeypatch):
    earlier, case = new_case(cast), new_case(cast)  # ``case`` duplicates ``earlier``
    follow_up = intake_follow_up.follow_up_cases

    def fail_after_the_work(cases) -> dict[str, int]:
        done = follow_up(cases)
        if case.pk in {c.pk for c in cases}:
            raise ValueError("failed after writing its notices")
        return done

    monkeypatch.setattr(intake_follow_up, "follow_up_cases", fail_after_the_work)
    assert tasks.follow_up_intakes.run() == 1
    assert not Notification.objects.filter(case=case).exists()  # rolled back with the case
    assert not DuplicateCandidate.objects.filter(case=case).exists()
    assert Notification.objects.filter(case=earlier).exists()


def test_a_sweep_out_of_time_queues_the_next_one(cast, monkeypatch):
    chained: list[tuple] = []
    monkeypatch.setattr(tasks.follow_up_intakes, "delay", lambda *a: chained.append(a))
    monkeypatch.setattr(tasks, "FOLLOW_UP_SECONDS", -1)  # out of time before the first case
    new_case(cast)
    assert tasks.follow_up_intakes.run() == 0
    assert chained == [()]
    assert Case.objects.filter(intake_pending=True).count() == 1


class Clock:
    """``workflows.tasks``' monotonic clock, moved by hand."""

    def __init__(self, monkeypatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr(tasks, "monotonic", lambda: self.now)


def request_follow_up() -> None:
    tasks.request_intake_follow_up()
    tasks.request_intake_follow_up.join()


def test_intakes_close_together_share_one_sweep(monkeypatch):
    clock, sent = Clock(monkeypatch), []
    monkeypatch.setattr(tasks.follow_up_intakes, "apply_async", lambda **kw: sent.append(kw))
    for _ in range(5):
        request_follow_up()
        clock.now += 0.19
    # The queued sweep starts after all five committed.
    assert sent == [{"countdown": 1.0, "retry": False}]
    clock.now += 0.1  # that sweep has started: the next intake needs one of its own
    request_follow_up()
    assert len(sent) == 2


def test_a_failed_send_is_logged_and_tried_again_after_its_window(monkeypatch, caplog):
    clock, sent = Clock(monkeypatch), []

    def broker_down(**kw):
        raise OSError("broker down")

    monkeypatch.setattr(tasks.follow_up_intakes, "apply_async", broker_down)
    request_follow_up()  # the caller (a request) is not told: the work is marked in the rows
    assert "beat's sweep will do it" in caplog.text and "broker down" in caplog.text
    monkeypatch.setattr(tasks.follow_up_intakes, "apply_async", lambda **kw: sent.append(kw))
    clock.now += 0.5
    request_follow_up()  # the same second: left to beat, not waited for again
    assert sent == []
    clock.now += 0.5
    request_follow_up()
    assert len(sent) == 1


def test_a_request_never_waits_for_a_send_in_flight(monkeypatch):
    clock, release, sent = Clock(monkeypatch), threading.Event(), []

    def hung_broker(**kw):
        release.wait(30)
        sent.append(kw)

    monkeypatch.setattr(tasks.follow_up_intakes, "apply_async", hung_broker)
    tasks.request_intake_follow_up()  # returns at once, the send hangs on its thread
    clock.now += 5
    tasks.request_intake_follow_up()  # one send in flight per process: no second thread
    release.set()
    tasks.request_intake_follow_up.join()
    assert len(sent) == 1


def test_emails_are_owed_for_users_with_an_address_and_sent_once(cast, mailoutbox):
    cast.staff.email = "staff@example.org"
    cast.staff.save(update_fields=["email"])
    case = new_case(cast)
    notifications.notify(
        users=[cast.staff, cast.reporter],  # the reporter has no address
        case=case,
        kind=K.REMINDER,
        message="催办",
        key=f"test:{case.pk}",
    )
    note = Notification.objects.get(user=cast.staff)
    assert owed() == [f"email:{note.pk}"]

    assert outbox.deliver_pending(seconds=10).done == 1
    assert notifications.send_email_for(note.pk) is False  # a redelivery sends nothing
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["staff@example.org"] and case.number in mail.outbox[0].subject
    note.refresh_from_db()
    assert note.emailed_at is not None and owed() == []
    other = Notification.objects.get(user=cast.reporter)
    assert notifications.send_email_for(other.pk) is False


def test_an_email_sent_again_after_a_lost_commit_carries_the_same_message_id(cast, settings):
    """A worker killed after the mail server took the email but before the outbox row's
    delete committed sends it again on the next sweep (the claim rolled back with it). The
    resend is the same message to every mail store: its Message-ID is the notification's."""
    settings.DEFAULT_FROM_EMAIL = "GridGov <gridgov@example.org>"
    cast.staff.email = cast.handler.email = "someone@example.org"
    for user in (cast.staff, cast.handler):
        user.save(update_fields=["email"])
    notifications.notify(
        users=[cast.staff, cast.handler], case=None, kind=K.REMINDER, message="x", key="k"
    )
    first, second = Notification.objects.order_by("pk")
    assert notifications.send_email_for(first.pk)
    Notification.objects.filter(pk=first.pk).update(emailed_at=None)  # the lost commit
    assert notifications.send_email_for(first.pk) and notifications.send_email_for(second.pk)
    ids = [m.message()["Message-ID"] for m in mail.outbox]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].endswith("@example.org>")  # the sender's domain: the same on every host


def test_a_failed_email_releases_its_claim_for_the_retry(cast, monkeypatch):
    cast.staff.email = "staff@example.org"
    cast.staff.save(update_fields=["email"])
    notifications.notify(users=[cast.staff], case=None, kind=K.REMINDER, message="x", key="k")
    note = Notification.objects.get()

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications.mail, "send_keyed", broken)
    with pytest.raises(ConnectionRefusedError):
        notifications.send_email_for(note.pk)
    note.refresh_from_db()
    assert note.emailed_at is None
    # The sweep keeps it owed, and sends it once the server is back.
    assert outbox.deliver_pending(seconds=10).failed == 1 and owed() == [f"email:{note.pk}"]
    monkeypatch.undo()
    assert outbox.deliver_pending(seconds=10).done == 1 and len(mail.outbox) == 1


def test_notify_dedupes_per_user(cast):
    case = new_case(cast)
    args = {"case": case, "kind": K.OVERDUE, "message": "m", "key": f"overdue:{case.pk}:1"}
    assert notifications.notify(users=[cast.staff], **args) == 1
    assert notifications.notify(users=[cast.staff, cast.handler], **args) == 1
    assert notifications.notify(users=[cast.handler.pk, cast.staff.pk], **args) == 0
    assert Notification.objects.count() == 2


def test_tasks_retry_database_errors_and_have_time_limits():
    from django.db import OperationalError

    for task in (tasks.scan_sla, tasks.follow_up_intakes, tasks.deliver_effects):
        assert OperationalError in task.autoretry_for and task.retry_backoff
        assert task.ignore_result  # nobody waits for it: no result round trips at send time
        assert task.max_retries and task.soft_time_limit < task.time_limit


@needs_row_locks
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_case_another_sweep_holds_is_left_to_it_not_waited_for(cast, monkeypatch):
    monkeypatch.setattr(tasks, "request_intake_follow_up", lambda: None)
    held, free = new_case(cast), new_case(cast)
    with case_locked_elsewhere(held):
        assert tasks.follow_up_intakes.run() == 1  # would block without SKIP LOCKED
        assert list(Case.objects.filter(intake_pending=True)) == [held]
        assert not Notification.objects.filter(case=held).exists()
    assert Notification.objects.filter(case=free, kind=K.ACTION_NEEDED).count() == 1
