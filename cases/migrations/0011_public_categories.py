"""Which standard categories residents may report (Category.public).

Every component (C) and event (E) sub-category: things anyone sees in the street. Of the
public-service (S) family only the safety hazards (S09: blocked fire lanes, e-bikes charged
indoors, objects that may fall): the others are about a person (an elderly resident living
alone, a disability, assistance, a family dispute) and are not for a public form or map.
"""

from django.db import migrations

PUBLIC_SERVICE_CLASSES = ("S09",)


def mark_public(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    subcategories = Category.objects.filter(parent__isnull=False)
    subcategories.filter(family__in=("C", "E")).update(public=True)
    subcategories.filter(parent__code__in=PUBLIC_SERVICE_CLASSES).update(public=True)


def unmark(apps, schema_editor):
    apps.get_model("cases", "Category").objects.update(public=False)


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_resident_reports")]
    operations = [migrations.RunPython(mark_public, unmark)]
