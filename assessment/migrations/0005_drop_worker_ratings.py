"""Satisfaction ratings count residents only (DESIGN §5)."""

from django.db import migrations

RESIDENT_SOURCES = ("resident", "open311", "hotline")


def drop_worker_ratings(apps, schema_editor):
    """Before this, the worker who reported a case got the rating link and rated work in
    their own cell. Those ratings are not residents' and never counted toward 满意率 again."""
    Satisfaction = apps.get_model("assessment", "Satisfaction")
    Satisfaction.objects.filter(channel="link").exclude(
        case__source__in=RESIDENT_SOURCES
    ).delete()
    # Links sent but never used: residents now rate on their tracking page.
    Satisfaction.objects.filter(score__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0004_case_time_indexes"), ("cases", "0010_resident_reports")]
    operations = [migrations.RunPython(drop_worker_ratings, migrations.RunPython.noop)]
