"""A task makes a round trip through a real Celery worker process on the configured broker
(kombu's filesystem transport on a laptop, Redis in CI)."""

from __future__ import annotations

import uuid

import pytest

from workflows.tasks import ping

from ..celery_worker import celery_worker


@pytest.mark.integration
def test_a_real_worker_consumes_a_task_and_returns_its_result():
    # A private queue so a `make run` worker on the same broker cannot take the message.
    queue = f"test-{uuid.uuid4().hex[:8]}"
    token = uuid.uuid4().hex
    answer, alive = None, False
    with celery_worker(queue) as worker:
        try:
            answer = ping.apply_async(args=[token], queue=queue).get(timeout=60)
        except Exception as exc:
            answer = repr(exc)
        alive = worker.alive
    assert answer == f"pong:{token}", f"worker printed:\n{worker.output}"
    assert alive, "the worker process should still be running"
