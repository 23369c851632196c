"""Retention of personal data (PIPL art. 19 and 47: kept no longer than its purpose needs,
then deleted or anonymised), as a registry of rules run daily by beat
(``residents.apply_retention``) and by ``manage.py apply_retention [--dry-run]``.

A rule names what it erases, the setting that holds its period in days (with a default),
and two functions of the *cutoff* — the last day whose records are due (today minus the
period): how many records are due, and erase them (returning how many it erased). Erasing
must leave nothing due, so that a second run is a no-op, and should go in batches.

Other apps register their rules from a module of their own named ``retention``, found by
``autodiscover_modules`` when the rules run, so this module never imports the apps above
it (``cases`` may import ``residents``, never the reverse)::

    # cases/retention.py
    from residents.retention import RetentionRule, register

    register(RetentionRule(
        name="reporter_contacts",
        description=_("reporters' names, phones and emails on closed cases"),
        period_setting="RETAIN_REPORTER_CONTACT_DAYS",  # read from settings, in days
        default_days=365,
        count_due=lambda cutoff: due(cutoff).count(),
        erase_due=erase_reporter_contacts,  # (cutoff) -> how many erased
    ))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models.functions import TruncYear
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from .models import Household, Resident, Visit

BATCH_SIZE = 500


@dataclass(frozen=True)
class RetentionRule:
    name: str
    description: str | Promise
    period_setting: str
    default_days: int
    count_due: Callable[[date], int]
    erase_due: Callable[[date], int]

    def days(self) -> int:
        """The period in days: ``settings.<period_setting>``, else ``default_days``. Raises
        ``ImproperlyConfigured`` below one day (a typo must not erase today's records)."""
        days = getattr(settings, self.period_setting, self.default_days)
        if not isinstance(days, int) or days < 1:
            raise ImproperlyConfigured(
                f"{self.period_setting} must be a whole number of days, at least 1 (is {days!r})."
            )
        return days


@dataclass(frozen=True)
class Outcome:
    rule: RetentionRule
    days: int
    cutoff: date
    count: int  # due (dry run) or erased
    dry_run: bool


_RULES: dict[str, RetentionRule] = {}


def register(rule: RetentionRule) -> RetentionRule:
    """Add ``rule`` to the registry; raises ``ValueError`` for a name already registered."""
    if rule.name in _RULES:
        raise ValueError(f"a retention rule named {rule.name!r} is already registered")
    _RULES[rule.name] = rule
    return rule


def registered_rules() -> list[RetentionRule]:
    """Every rule, after importing each installed app's ``retention`` module."""
    autodiscover_modules("retention")
    return list(_RULES.values())


def run_retention(*, dry_run: bool, today: date | None = None) -> list[Outcome]:
    """Apply every rule (or only count, with ``dry_run``) and say what each did.

    All periods are read first, so a misconfigured one stops the run before any rule has
    erased anything.
    """
    today = today or timezone.localdate()
    plan = [(rule, rule.days()) for rule in registered_rules()]
    outcomes = []
    for rule, days in plan:
        cutoff = today - timedelta(days=days)
        count = rule.count_due(cutoff) if dry_run else rule.erase_due(cutoff)
        outcomes.append(Outcome(rule=rule, days=days, cutoff=cutoff, count=count, dry_run=dry_run))
    return outcomes


# --- residents who moved out -------------------------------------------------------------------


def _moved_out_due(cutoff: date):
    return Resident.objects.filter(moved_out_at__lte=cutoff, anonymised_at__isnull=True)


def count_moved_out_due(cutoff: date) -> int:
    return _moved_out_due(cutoff).count()


def anonymise_moved_out(cutoff: date) -> int:
    """Anonymise residents who moved out on or before ``cutoff``, in batches (each one
    transaction with its rows locked, so an edit in between is not overwritten half-way).

    Kept for statistics: gender, birth year (the date becomes 1 January), cell and
    household. Erased: name, ID number and phone (with their hashes), tags, and the
    resident's admin history labels. A household left with nobody who is not anonymised
    loses its address, its visits' notes and its admin history labels too.
    """
    erased = 0
    while True:
        with transaction.atomic():
            ids = list(
                _moved_out_due(cutoff)
                .select_for_update()
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                return erased
            _anonymise(ids)
        erased += len(ids)


def _anonymise(ids: list[int]) -> None:
    household_ids = set(Resident.objects.filter(pk__in=ids).values_list("household_id", flat=True))
    Resident.objects.filter(pk__in=ids).update(
        name="",
        id_number="",
        id_number_hash=None,
        phone="",
        phone_hash="",
        birth_date=TruncYear("birth_date"),
        anonymised_at=timezone.now(),
    )
    Resident.tags.through.objects.filter(resident_id__in=ids).delete()
    empty = list(
        Household.objects.filter(pk__in=household_ids)
        .exclude(residents__anonymised_at__isnull=True)
        .values_list("pk", flat=True)
    )
    Household.objects.filter(pk__in=empty).update(address="")
    Visit.objects.filter(household_id__in=empty).update(note="")
    # Admin history keeps each object's label as it was then (masked since the labels
    # became masked, whole in rows older than that).
    for model, pks in ((Resident, ids), (Household, empty)):
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in pks],
        ).update(object_repr="")


MOVED_OUT_RESIDENTS = register(
    RetentionRule(
        name="moved_out_residents",
        description=_(
            "residents who moved out: name, ID number, phone, tags, birth date (to the year); "
            "the address and visit notes of a household nobody lives in any more"
        ),
        period_setting="RETAIN_MOVED_OUT_DAYS",
        default_days=730,
        count_due=count_moved_out_due,
        erase_due=anonymise_moved_out,
    )
)
