"""python manage.py apply_retention [--dry-run]: erase or anonymise the personal data past
its retention period, rule by rule (``residents.retention``); beat does the same daily."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from residents.retention import run_retention


class Command(BaseCommand):
    help = (
        "Apply every retention rule (residents who moved out, and those other apps register): "
        "print per rule its period and what was erased, or with --dry-run what would be."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; change nothing."
        )

    def handle(self, *args, dry_run: bool, **options) -> None:
        try:
            outcomes = run_retention(dry_run=dry_run)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        for outcome in outcomes:
            rule = outcome.rule
            verb = "would erase" if dry_run else "erased"
            self.stdout.write(
                f"{rule.name}: {verb} {outcome.count} — {rule.description} "
                f"({rule.period_setting}={outcome.days} days: due on or before "
                f"{outcome.cutoff.isoformat()})"
            )
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
