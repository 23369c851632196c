"""The daily care sweep (``care.extend_care_plans`` at 00:20 Asia/Shanghai): every running
plan's tasks written ``HORIZON_DAYS`` ahead, so the day's tasks exist before anyone starts."""

from django.db import migrations

from gridgov.beat_schedules import beat_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_care_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_schedule(
            name="Care plans: write tasks ahead (daily)",
            task="care.extend_care_plans",
            crontab={
                "minute": "20",
                "hour": "0",
                "day_of_week": "*",
                "day_of_month": "*",
                "month_of_year": "*",
                "timezone": "Asia/Shanghai",
            },
            expire_seconds=12 * 3600,
            description="关爱计划: write each running plan's care tasks a month ahead.",
        )
    ]
