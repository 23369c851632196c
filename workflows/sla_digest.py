"""What the SLA scanner tells people (DESIGN §4): one digest per person and kind per scan —
"32 cases in your charge became overdue", linking to the list of them — instead of one
notification per case and person. Each case keeps its own record of the occasion
(``SlaNotice``, shown in its timeline), written in bulk with its marks.

A scan's digests carry a key of their own (``sla:<kind>:<scan>``, plus the user): every
batch of the scan, in its own transaction, upserts each recipient's digest with the running
count, so a scan cut short leaves digests that count exactly the cases whose marks it
committed. The batch that starts a digest owes its email in the same transaction (an outbox
row keyed by the digest, so later batches owe nothing more): a scan cut short by its time
limit loses no email. The email says the count when it is sent; the inbox's digest keeps
counting the scan's later batches.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.urls import reverse
from django.utils.translation import ngettext
from psycopg2.extras import execute_values

from . import outbox
from .models import Notification, NotificationKind, SlaNotice

K = NotificationKind


@dataclass(frozen=True)
class Alert:
    """One SLA occasion of one case (``kind``: reminder, overdue or escalation) at the case's
    step ``version`` (or of a co-department's part of it), and the people who must hear of
    it."""

    case_id: int
    kind: str
    version: int
    due_at: datetime | None
    users: frozenset[int]
    department_id: int | None = None  # a co-department's part (协办), not the case's step


def _message(kind: str, count: int) -> str:
    params = {"count": count}
    if kind == K.REMINDER:
        return (
            ngettext(
                "催办 %(count)d case in your charge is nearly due: please act on it.",
                "催办 %(count)d cases in your charge are nearly due: please act on them.",
                count,
            )
            % params
        )
    if kind == K.OVERDUE:
        return (
            ngettext(
                "督办 %(count)d case in your charge became overdue: yellow card.",
                "督办 %(count)d cases in your charge became overdue: yellow card.",
                count,
            )
            % params
        )
    return (
        ngettext(
            "督办 %(count)d case in your charge has taken twice its time limit: red card.",
            "督办 %(count)d cases in your charge have taken twice their time limit: red card.",
            count,
        )
        % params
    )


def _link(kind: str) -> str:
    """The case list filtered to what the digest is about."""
    url = reverse("case-list")
    return url if kind == K.REMINDER else f"{url}?overdue=true"


def store_notices(alerts: list[Alert], *, at: datetime) -> None:
    """Write each alert's ``SlaNotice`` in one statement (a multi-row INSERT on PostgreSQL;
    model objects cost most of a 100,000-case scan's time); an occasion already recorded is
    skipped."""
    if not alerts:
        return
    if connection.vendor != "postgresql":
        SlaNotice.objects.bulk_create(
            [
                SlaNotice(
                    case_id=a.case_id,
                    department_id=a.department_id,
                    kind=a.kind,
                    version=a.version,
                    due_at=a.due_at,
                    at=at,
                    told=len(a.users),
                )
                for a in alerts
            ],
            ignore_conflicts=True,
        )
        return
    table = connection.ops.quote_name(SlaNotice._meta.db_table)
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f"INSERT INTO {table} (case_id, department_id, kind, version, due_at, at, told) "
            "VALUES %s ON CONFLICT DO NOTHING",
            [
                (a.case_id, a.department_id, a.kind, a.version, a.due_at, at, len(a.users))
                for a in alerts
            ],
            page_size=len(alerts),
        )


class Digest:
    """The digests of one scan: running counts per (user, kind)."""

    def __init__(self) -> None:
        self.scan = uuid.uuid4().hex[:12]
        self.counts: Counter[tuple[int, str]] = Counter()

    def key(self, user: int, kind: str) -> str:
        return f"sla:{kind}:{self.scan}:u{user}"

    def add(self, alerts: Iterable[Alert]) -> Counter[tuple[int, str]]:
        """Upsert the digests that ``alerts`` (one batch's) change, and owe the email of each
        digest not yet emailed (once: the outbox row is keyed by the digest), in the caller's
        transaction. Returns the batch's counts, for ``committed`` once it commits."""
        batch = Counter((user, a.kind) for a in alerts for user in a.users)
        if batch:
            Notification.objects.bulk_create(
                [
                    Notification(
                        user_id=user,
                        kind=kind,
                        message=_message(kind, self.counts[user, kind] + n),
                        link=_link(kind),
                        dedupe_key=self.key(user, kind),
                    )
                    for (user, kind), n in batch.items()
                ],
                update_conflicts=True,
                unique_fields=["dedupe_key"],
                update_fields=["message"],
            )
            outbox.record_emails(
                Notification.objects.filter(
                    dedupe_key__in=[self.key(u, k) for u, k in batch], emailed_at__isnull=True
                )
                .exclude(user__email="")
                .values_list("pk", flat=True)
            )
        return batch

    def committed(self, batch: Counter[tuple[int, str]]) -> int:
        """The batch's transaction committed: move the running counts on. Returns how many
        digests it started."""
        started = sum(1 for pair in batch if pair not in self.counts)
        self.counts.update(batch)
        return started
