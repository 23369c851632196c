"""The default active work schedule and China's 2026 public holidays and make-up working days.

These rows are a starting point, editable in the admin (工作日历). The State Council General
Office publishes the next year's arrangement (国务院办公厅关于XXXX年部分节假日安排的通知) each
autumn; check these dates against that notice and enter the next year's in the admin.
"""

from datetime import date, time, timedelta

from django.db import migrations

HOLIDAY, WORKDAY = "holiday", "workday"


def _span(first: date, last: date, name: str):
    day = first
    while day <= last:
        yield day, HOLIDAY, name
        day += timedelta(days=1)


DAYS_2026 = [
    *_span(date(2026, 1, 1), date(2026, 1, 3), "元旦"),
    (date(2026, 1, 4), WORKDAY, "元旦调休"),
    (date(2026, 2, 14), WORKDAY, "春节调休"),
    *_span(date(2026, 2, 15), date(2026, 2, 23), "春节"),
    (date(2026, 2, 28), WORKDAY, "春节调休"),
    *_span(date(2026, 4, 4), date(2026, 4, 6), "清明节"),
    *_span(date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
    (date(2026, 5, 9), WORKDAY, "劳动节调休"),
    *_span(date(2026, 6, 19), date(2026, 6, 21), "端午节"),
    (date(2026, 9, 20), WORKDAY, "国庆节调休"),
    *_span(date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
    *_span(date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
    (date(2026, 10, 10), WORKDAY, "国庆节调休"),
]


def create_defaults(apps, schema_editor):
    WorkSchedule = apps.get_model("workflows", "WorkSchedule")
    CalendarDay = apps.get_model("workflows", "CalendarDay")
    if not WorkSchedule.objects.filter(is_active=True).exists():
        WorkSchedule.objects.create(
            name="标准作息 standard hours",
            morning_start=time(9, 0),
            morning_end=time(12, 0),
            afternoon_start=time(13, 30),
            afternoon_end=time(17, 30),
            weekend_days="6,7",
            is_active=True,
        )
    for day, kind, name in DAYS_2026:
        # get_or_create: never overwrite a date an administrator has already corrected.
        CalendarDay.objects.get_or_create(date=day, defaults={"kind": kind, "name": name})


def remove_defaults(apps, schema_editor):
    CalendarDay = apps.get_model("workflows", "CalendarDay")
    CalendarDay.objects.filter(date__in=[day for day, _kind, _name in DAYS_2026]).delete()


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
