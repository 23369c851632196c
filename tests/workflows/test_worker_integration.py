"""A real Celery worker process, on the configured broker and the test database, follows up
a new case (the street's notice) and dispatches a case by its routing rule after street staff
accept it (DESIGN §4: Celery drives the loop)."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import connection
from kombu import Connection, Queue

from cases.models import Case, Category, RoutingRule
from workflows import services
from workflows.models import Notification

from ..cases.personas import new_case
from ..celery_worker import celery_worker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _purge(queue: str) -> None:
    """Forget tasks earlier tests queued (for rows that no longer exist)."""
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    with Connection(settings.CELERY_BROKER_URL, transport_options=options) as conn:
        Queue(queue, channel=conn.default_channel).purge()


def test_a_real_worker_dispatches_an_accepted_case_by_its_routing_rule(cast):
    RoutingRule.objects.create(
        category=Category.objects.get(code="C0101"),
        district=cast.territory.district,
        department=cast.department,
    )
    case = new_case(cast)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    _purge(queue)
    with celery_worker(queue, DATABASE_URL=_test_database_url()) as worker:
        # accept commits, then queues route_case on the broker; nothing here runs it.
        services.accept_case(case_id=case.pk, by=cast.staff)
        for _ in range(120):
            case.refresh_from_db()
            if case.status != "accepted" or not worker.alive:
                break
            time.sleep(0.5)
    output = worker.output
    assert case.status == "dispatched", f"worker output:\n{output}"
    assert case.department == cast.department
    dispatch = case.events.get(action="dispatch")
    assert dispatch.actor is None  # the system, not a person
    assert Case.objects.filter(pk=case.pk, version=3).exists()


def test_a_real_worker_follows_up_a_new_case(cast):
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    _purge(queue)
    with celery_worker(queue, DATABASE_URL=_test_database_url()) as worker:
        # The intake commits, then queues the sweep on the broker; nothing here runs it.
        case = new_case(cast)
        for _ in range(120):
            if not Case.objects.filter(pk=case.pk, intake_pending=True).exists():
                break
            if not worker.alive:
                break
            time.sleep(0.5)
    output = worker.output
    assert not Case.objects.get(pk=case.pk).intake_pending, f"worker output:\n{output}"
    notice = Notification.objects.get(case=case)
    assert notice.user == cast.staff and case.number in notice.message
