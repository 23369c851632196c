"""``manage.py export_review_labels [--format jsonl|csv] [--rule R] [--since 90d] [-o FILE]``:
the reviewed flags as labelled examples (``integrity.labels``), one a line, for tuning the
rules' thresholds: the rule and its version, the thresholds in force, the evidence, the
case or visit as judged, and the decision with its reason and note."""

from __future__ import annotations

import csv
import json
from contextlib import nullcontext

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

from integrity.labels import EXPORT_FIELDS, labelled_examples
from integrity.models import Rule

from .scan_integrity import parse_moment


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


class Command(BaseCommand):
    help = "Export confirmed and dismissed integrity flags as labelled examples (JSONL or CSV)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
        parser.add_argument(
            "--rule", action="append", choices=Rule.values, help="only this rule (repeatable)"
        )
        parser.add_argument("--since", help="reviewed since: ISO date/date-time, or e.g. 90d")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        since = parse_moment(options["since"]) if options["since"] else None
        rows = labelled_examples(rules=options["rule"], since=since)
        target = options["output"]
        with (
            open(target, "w", newline="", encoding="utf-8") if target else nullcontext(self.stdout)
        ) as out:
            written = self.write(rows, out, options["format"])
        self.stderr.write(f"{written} labelled examples")

    @staticmethod
    def write(rows, out, fmt: str) -> int:
        """Write ``rows`` to ``out`` as JSON lines, or as CSV with the nested columns (config,
        evidence, snapshot, related cases) as JSON text; returns how many."""
        written = 0
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
        for row in rows:
            if fmt == "csv":
                writer.writerow(
                    {
                        key: _json(value) if isinstance(value, dict | list) else value
                        for key, value in row.items()
                    }
                )
            else:
                out.write(_json(row) + "\n")
            written += 1
        return written
