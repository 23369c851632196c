"""The daily retention run (``residents.apply_retention`` at 03:40 Asia/Shanghai, after the
nightly rollup): every registered rule erases what is past its period (``retention``)."""

from django.db import migrations

from gridgov.beat_schedules import beat_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0006_database_cache_table"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        beat_schedule(
            name="Personal data retention (daily)",
            task="residents.apply_retention",
            crontab={
                "minute": "40",
                "hour": "3",
                "day_of_week": "*",
                "day_of_month": "*",
                "month_of_year": "*",
                "timezone": "Asia/Shanghai",
            },
            expire_seconds=12 * 3600,
            description="个人信息保存期限: anonymise residents who moved out long ago, and "
            "whatever other apps' retention rules erase.",
        )
    ]
