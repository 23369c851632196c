"""The open-case tally per cell (``OpenCellTally``), kept by the same triggers as the
street's: the function is installed again to append to both, and both are counted from the
cases already there. Going back drops the triggers (the function would write to a table no
longer there); migrating forward again installs them."""

from django.db import migrations, models


def install(apps, schema_editor):
    from assessment import tally

    tally.install(schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    from assessment import tally

    tally.uninstall(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0009_open_case_tally"),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenCellTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("street_id", models.BigIntegerField()),
                ("cell_id", models.BigIntegerField()),
                ("late", models.BooleanField()),
                ("n", models.IntegerField()),
            ],
            options={
                "verbose_name": "open case tally per cell (网格在办案件计数)",
                "verbose_name_plural": "open case tallies per cell (网格在办案件计数)",
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
