"""Retention of reporters' contacts (PIPL): a resident's or caller's name, phone and email
are kept to tell them what became of their report, and erased ``RETAIN_REPORTER_CONTACT_DAYS``
after the case finished (closed, or not accepted). The rule joins the registry of
``residents.retention`` (beat runs it daily; ``manage.py apply_retention [--dry-run]``).

What stays: the case itself, its tracking code (a resident can still read the outcome and
it names nobody), and the messages already sent (they hold the code, not the address).

The phones' ``Idempotency-Key`` rows (``idempotency.services``) go after their replay window
(``IDEMPOTENCY_KEY_DAYS``): a key says who sent what when, nothing a case does not keep."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from idempotency.models import IdempotencyKey
from residents.retention import BATCH_SIZE, RetentionRule, register

from .models import CaseContact, CaseStatus


def _due(cutoff: date) -> QuerySet[CaseContact]:
    end = timezone.make_aware(datetime.combine(cutoff, time.max))
    finished = Q(case__status=CaseStatus.CLOSED, case__closed_at__lte=end) | Q(
        case__status=CaseStatus.REJECTED, case__step_started_at__lte=end
    )
    return CaseContact.objects.filter(finished, erased_at__isnull=True)


def count_contacts_due(cutoff: date) -> int:
    return _due(cutoff).count()


def erase_contacts(cutoff: date) -> int:
    """Erase the contacts of cases finished on or before ``cutoff``, in batches."""
    erased = 0
    while True:
        with transaction.atomic():
            ids = list(
                _due(cutoff)
                .select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                return erased
            CaseContact.objects.filter(pk__in=ids).update(
                name="", phone="", email="", contact_hash="", erased_at=timezone.now()
            )
        erased += len(ids)


register(
    RetentionRule(
        name="reporter_contacts",
        description=_(
            "reporters' names, phones and emails on cases closed or not accepted (residents "
            "and hotline callers)"
        ),
        period_setting="RETAIN_REPORTER_CONTACT_DAYS",
        default_days=365,
        count_due=count_contacts_due,
        erase_due=erase_contacts,
    )
)


def _keys_due(cutoff: date) -> QuerySet[IdempotencyKey]:
    return IdempotencyKey.objects.filter(
        created_at__lte=timezone.make_aware(datetime.combine(cutoff, time.max))
    )


def erase_keys(cutoff: date) -> int:
    """Delete the idempotency keys made on or before ``cutoff`` (past their replay window,
    ``idempotency.services``), in batches."""
    erased = 0
    while ids := list(_keys_due(cutoff).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]):
        erased += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
    return erased


register(
    RetentionRule(
        name="idempotency_keys",
        description=_("the phones' Idempotency-Keys of reports, visits and verifications sent"),
        period_setting="IDEMPOTENCY_KEY_DAYS",
        default_days=7,
        count_due=lambda cutoff: _keys_due(cutoff).count(),
        erase_due=erase_keys,
    )
)
