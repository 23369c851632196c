"""python manage.py beat_alive [--within SECONDS]: exit 0 if beat sent a scheduled task lately.

Beat (django-celery-beat's DatabaseScheduler) stamps ``last_run_at`` on each periodic task it
sends; the every-minute sweeps make a stamp older than a few minutes mean beat is not running.
docker-compose uses this as beat's health check.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask


class Command(BaseCommand):
    help = "Exit non-zero unless beat sent a periodic task within the last --within seconds."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--within", type=int, default=180)

    def handle(self, *args, within: int, **options) -> None:
        since = timezone.now() - timedelta(seconds=within)
        latest = (
            PeriodicTask.objects.filter(enabled=True, last_run_at__isnull=False)
            .order_by("-last_run_at")
            .values_list("last_run_at", flat=True)
            .first()
        )
        if latest is None or latest < since:
            raise CommandError(f"beat sent nothing in the last {within} s (last: {latest})")
        self.stdout.write(f"beat alive: last sent {latest.isoformat()}")
