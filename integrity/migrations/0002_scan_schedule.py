"""The integrity scan's beat schedule: ``integrity.scan_recent`` every 30 minutes.

Edit or pause it in the admin (django-celery-beat). A scan that waited longer than its
interval is dropped; the next one covers the same days.
"""

from django.db import migrations

from gridgov.beat_schedules import beat_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("integrity", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_schedule(
            name="Integrity scan",
            task="integrity.scan_recent",
            interval=(30, "minutes"),
            expire_seconds=1800,
            description="诚信核查: near-duplicates, reused photos, verifications, bursts, "
            "unchecked self-resolves (flags for review only).",
        )
    ]
