"""GET /healthz — is the database reachable, and the Celery broker? (for compose and probes)

Both are asked at once and the answer is given within ``DEADLINE`` seconds whatever they do: a
dependency that has not answered by then (a hung Redis, a database behind a dropped network)
is reported ``down: timeout``. The outbox's backlog is reported too, when the database answers:
effects waiting longer than a couple of minutes mean no worker is delivering them.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from kombu import Connection

logger = logging.getLogger(__name__)

DEADLINE = 1.8  # seconds
# One pool for the process: a check stuck past its deadline keeps its thread until its own
# socket timeout, without holding up the next probe (which gets a free thread).
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="healthz")


def _down(what: str, exc: Exception) -> str:
    # The details (hosts, ports, user names) go to the log, not to a public endpoint.
    logger.warning("healthz: %s is down: %s", what, exc)
    return f"down: {type(exc).__name__}"


def _database() -> dict[str, object]:
    from workflows.models import Effect

    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        connections["default"].close()  # this thread's own connection
        return {"database": _down("database", exc)}
    try:
        oldest = Effect.objects.order_by("id").values_list("created_at", flat=True).first()
        lag = int(((timezone.now() - oldest) if oldest else timedelta(0)).total_seconds())
    except Exception:  # not migrated yet: the database itself answers
        lag = None
    finally:
        connections["default"].close()
    return {"database": "ok", "outbox_oldest_seconds": lag}


def _broker() -> dict[str, object]:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    try:
        with Connection(
            settings.CELERY_BROKER_URL, transport_options=options, connect_timeout=DEADLINE
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=DEADLINE)
        return {"broker": "ok"}
    except Exception as exc:  # kombu raises the transport's own errors
        return {"broker": _down("broker", exc)}


@never_cache
def healthz(request):
    checks = {"database": _pool.submit(_database), "broker": _pool.submit(_broker)}
    wait(checks.values(), timeout=DEADLINE)
    body: dict[str, object] = {}
    for name, future in checks.items():
        body |= future.result() if future.done() else {name: "down: timeout"}
    healthy = body["database"] == "ok" and body["broker"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **body}, status=200 if healthy else 503
    )
