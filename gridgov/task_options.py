"""Options every idempotent, scheduled sweep task shares: retried with backoff when the
database is briefly away, acknowledged only once it ran (a worker killed mid-run leaves the
message for another), so each such task must be safe to run twice.

    @shared_task(name="app.sweep", soft_time_limit=1800, time_limit=1860, **RETRYING)
"""

from __future__ import annotations

from django.db import OperationalError

RETRYING = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}
