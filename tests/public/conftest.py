"""The resident portal's tests: the case personas, a clean rate-limit cache, SMS kept in memory."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from workflows import sms

from ..cases.personas import (  # noqa: F401  (fixtures are found by name)
    _media_in_tmp,
    _no_cross_check,
    cast,
    staff2,
    worker_a2,
)


@pytest.fixture(autouse=True)
def _fresh_limits_and_outbox(settings):
    """Rate limits count in the cache: each test starts from zero. SMS go to an in-memory
    outbox (a real backend shipped for tests, like Django's locmem email backend)."""
    cache.clear()
    settings.SMS_BACKEND = "workflows.sms.LocmemBackend"
    sms.outbox.clear()
    yield
    cache.clear()
