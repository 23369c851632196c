"""Sending SMS to residents, through a backend chosen by ``settings.SMS_BACKEND``.

A backend is any class with ``send(*, to: str, body: str) -> None`` that raises on failure
(the task retries). GridGov ships two:

- ``workflows.sms.LogBackend`` (the default): writes each message to the log, as Django's
  console email backend does, so a laptop and a fresh install work without a provider;
- ``workflows.sms.LocmemBackend``: keeps messages in ``workflows.sms.outbox`` (tests).

For a real provider (阿里云短信, 腾讯云短信 …), write a small class that calls its API and set
``SMS_BACKEND=yourmodule.YourBackend``; provider credentials come from your own settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


outbox: list[Sms] = []


class LogBackend:
    def send(self, *, to: str, body: str) -> None:
        # The number is personal data: the log shows its last four digits only.
        logger.info("SMS to ***%s: %s", to[-4:], body)


class LocmemBackend:
    def send(self, *, to: str, body: str) -> None:
        outbox.append(Sms(to=to, body=body))


def send_sms(*, to: str, body: str) -> None:
    backend = import_string(getattr(settings, "SMS_BACKEND", "workflows.sms.LogBackend"))
    backend().send(to=to, body=body)
