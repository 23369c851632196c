"""The nightly rollup (``assessment.roll_up_recent`` at 00:20 Asia/Shanghai): rolls up
yesterday and re-rolls the day before (late ratings and corrections land in a rerun)."""

from django.db import migrations

from gridgov.beat_schedules import beat_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0002_default_schemes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_schedule(
            name="Assessment rollup (nightly)",
            task="assessment.roll_up_recent",
            crontab={
                "minute": "20",
                "hour": "0",
                "day_of_week": "*",
                "day_of_month": "*",
                "month_of_year": "*",
                "timezone": "Asia/Shanghai",
            },
            expire_seconds=6 * 3600,
            description="考核日汇总: daily indicator rollups for yesterday and the day before.",
        )
    ]
