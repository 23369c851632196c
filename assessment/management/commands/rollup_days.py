"""``manage.py rollup_days --since 2024-01-01 [--until 2026-11-25]``: backfill the rollups."""

from __future__ import annotations

import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Min
from django.utils import timezone

from assessment.rollups import roll_up_days
from cases.models import Case


class Command(BaseCommand):
    help = (
        "Roll up the assessment counts of every day from --since to --until (default: "
        "yesterday). Idempotent: a day already rolled up is replaced."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--since", type=date.fromisoformat, help="first day (default: the first case's day)"
        )
        parser.add_argument(
            "--until", type=date.fromisoformat, help="last day (default: yesterday)"
        )

    def handle(self, *args, since: date | None, until: date | None, **options) -> None:
        today = timezone.localdate()
        until = until or today - timedelta(days=1)
        if since is None:
            first = Case.objects.aggregate(first=Min("created_at"))["first"]
            if first is None:
                self.stdout.write("No cases: nothing to roll up.")
                return
            since = timezone.localdate(first)
        if since > until:
            raise CommandError(f"--since {since} is after --until {until}.")
        if until >= today:
            raise CommandError("Today is not over yet: it is counted live. Use --until yesterday.")
        started = time.perf_counter()

        def progress(day: date) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(f"  {day:%Y-%m} rolled up")

        days = roll_up_days(since, until, progress=progress)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Rolled up {days} days ({since} – {until}) in {elapsed:.1f} s.")
        )
