"""Email the outbox sends, each under a Message-ID of its own key.

The outbox delivers at least once: a worker killed after the mail server took an email but
before the outbox row's delete committed sends it again on the next sweep (the claim rolled
back with the row). No mail protocol can make that window empty, so the resend is made the
same message: its Message-ID is built from what it delivers (``notification-12``), not drawn
at random, under the sender's domain (``DEFAULT_FROM_EMAIL``), the same on every host, and
mail stores that file by Message-ID keep it once.
"""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME


def message_id(key: str) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    return f"<gridgov.{key}@{domain}>"


def send_keyed(*, key: str, subject: str, body: str, to: str) -> None:
    """Send one email; raises on failure (the caller releases its claim and retries)."""
    EmailMessage(
        subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers={"Message-ID": message_id(key)}
    ).send()
