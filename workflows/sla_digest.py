"""What the SLA scanner tells people (DESIGN §4): one digest per person and kind per scan —
"32 cases in your charge became overdue", linking to the list of them — instead of one
notification per case and person. A co-department's part (协办) is told of on its own,
linking to its case's page: no list shows a part, and the case's own clock, which the list's
filter reads, is not the part's. Each case keeps its own record of the occasion
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

import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.urls import reverse
from django.utils.translation import ngettext

from gridgov.pg_arrays import array_literal

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


Part = tuple[int, int] | None  # a co-department's part: (case, department)


def _part(alert: Alert) -> Part:
    return None if alert.department_id is None else (alert.case_id, alert.department_id)


def _link(kind: str, part: Part) -> str:
    """The case list filtered to what the digest is about; for a part, its case's page, which
    shows the part and its marks to everyone told (co-department, street, district)."""
    if part is not None:
        return reverse("case-page", args=[part[0]])
    url = reverse("case-list")
    return url if kind == K.REMINDER else f"{url}?overdue=true"


def store_notices(alerts: list[Alert], *, at: datetime) -> None:
    """Write each alert's ``SlaNotice`` in one statement (on PostgreSQL an INSERT from
    ``unnest`` of one array literal per column, ``gridgov.pg_arrays``: model objects cost
    most of a 100,000-case scan's time, and a VALUES list is quoted row by row in Python); an
    occasion already recorded is skipped."""
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
        cursor.execute(
            f"INSERT INTO {table} (case_id, department_id, kind, version, due_at, at, told) "
            "SELECT v.case_id, v.department_id, v.kind, v.version, v.due_at, %s, v.told"
            " FROM unnest(%s::integer[], %s::integer[], %s::text[],"
            " %s::integer[], %s::timestamptz[], %s::integer[])"
            " AS v(case_id, department_id, kind, version, due_at, told) ON CONFLICT DO NOTHING",
            [
                at,
                array_literal(a.case_id for a in alerts),
                array_literal(a.department_id for a in alerts),
                array_literal(a.kind for a in alerts),
                array_literal(a.version for a in alerts),
                array_literal(a.due_at for a in alerts),
                array_literal(len(a.users) for a in alerts),
            ],
        )


Slot = tuple[int, str, Part]  # one digest: (user, kind, part or None)


class Digest:
    """The digests of one scan: running counts per (user, kind), and per part."""

    def __init__(self) -> None:
        self.scan = uuid.uuid4().hex[:12]
        self.counts: Counter[Slot] = Counter()
        self.turn = threading.Lock()  # batches of one scan in flight at once add in turn

    def key(self, user: int, kind: str, part: Part = None) -> str:
        key = f"sla:{kind}:{self.scan}:u{user}"
        return key if part is None else f"{key}:p{part[0]}-{part[1]}"

    def add(self, alerts: Iterable[Alert]) -> Counter[Slot]:
        """Upsert the digests that ``alerts`` (one batch's) change, and owe the email of each
        digest not yet emailed (once: the outbox row is keyed by the digest), in the caller's
        transaction. Returns the batch's counts, for ``committed`` once it commits."""
        batch = Counter((user, a.kind, _part(a)) for a in alerts for user in a.users)
        if batch:
            Notification.objects.bulk_create(
                [
                    Notification(
                        user_id=user,
                        kind=kind,
                        message=_message(kind, self.counts[user, kind, part] + n),
                        link=_link(kind, part),
                        dedupe_key=self.key(user, kind, part),
                    )
                    for (user, kind, part), n in batch.items()
                ],
                update_conflicts=True,
                unique_fields=["dedupe_key"],
                update_fields=["message"],
            )
            outbox.record_emails(
                Notification.objects.filter(
                    dedupe_key__in=[self.key(*slot) for slot in batch], emailed_at__isnull=True
                )
                .exclude(user__email="")
                .values_list("pk", flat=True)
            )
        return batch

    def committed(self, batch: Counter[Slot]) -> int:
        """The batch's transaction committed: move the running counts on. Returns how many
        digests it started."""
        started = sum(1 for slot in batch if slot not in self.counts)
        self.counts.update(batch)
        return started
