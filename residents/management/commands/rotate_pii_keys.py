"""python manage.py rotate_pii_keys [--batch-size N]: re-encrypt personal data with the
current key, after putting a new key first in PII_ENCRYPTION_KEYS. Drop the old key only
after this has finished."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from residents.crypto import InvalidToken
from residents.services import rotate_resident_pii


class Command(BaseCommand):
    help = (
        "Re-encrypt every resident's ID number and phone with the first key in "
        "PII_ENCRYPTION_KEYS, in batches. Safe to re-run."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            count = rotate_resident_pii(batch_size=batch_size)
        except InvalidToken as exc:
            raise CommandError(
                f"Stopped: {exc}. Put back the key it was encrypted with and run again."
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted {count} residents with the current key.")
        )
