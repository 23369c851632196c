"""``manage.py scan_integrity --since 2026-10-01`` (or ``--since 30d``): run the integrity
rules over a period and store new flags. Safe to repeat: a finding is stored once."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from integrity.rules import RULES
from integrity.services import run_rules


def parse_moment(value: str) -> datetime:
    """An ISO date or date-time (local time if naive), or ``<N>d`` / ``<N>h`` ago."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([dh])", value.strip())
    if match:
        amount, unit = float(match[1]), match[2]
        return timezone.now() - timedelta(**{"days" if unit == "d" else "hours": amount})
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"not a date, date-time or age like 7d: {value!r}")
        moment = datetime.combine(day, time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Run the integrity rules over a period and store new flags for review."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="ISO date/date-time, or e.g. 7d")
        parser.add_argument("--until", help="ISO date/date-time (default: now)")
        parser.add_argument(
            "--rule", action="append", choices=sorted(RULES), help="only this rule (repeatable)"
        )

    def handle(self, *args, **options):
        since = parse_moment(options["since"])
        until = parse_moment(options["until"]) if options["until"] else None
        if until is not None and until <= since:
            raise CommandError("--until must be after --since")
        report = run_rules(since=since, until=until, rules=options["rule"])
        for rule, row in report.items():
            self.stdout.write(
                f"{rule:<26} found {row['found']:>7}  new {row['new']:>7}  {row['seconds']:>7.2f} s"
            )
