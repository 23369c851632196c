"""python manage.py check_coverage [--community CODE]: gaps and overlaps between cells."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from grids.coverage import check_community
from grids.models import Community


class Command(BaseCommand):
    help = (
        "Report every gap and overlap between the cells of a community, and cells sticking out "
        "of it, with area and a representative point. Exits non-zero when any exists."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--community", help="12-digit community code (default: all)")

    def handle(self, *args, community: str | None = None, **options) -> None:
        communities = Community.objects.order_by("full_code")
        if community:
            communities = communities.filter(full_code=community)
            if not communities.exists():
                raise CommandError(f"No community with code {community}.")
        checked = problems = 0
        for item in communities.iterator(chunk_size=200):
            checked += 1
            for problem in check_community(item):
                problems += 1
                self.stdout.write(str(problem))
        summary = f"{checked} communities checked, {problems} problems."
        if problems:
            self.stderr.write(self.style.ERROR(summary))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(summary))
