"""API tokens moved from DRF's authtoken (one per user, never expiring, stored in plain text)
to django-rest-knox (per device, expiring, stored as a digest). The old table is dropped so
its plain-text keys do not linger in the database and its backups; clients sign in again.
The authtoken app is no longer installed, so its migration records go too (a reinstall would
start from scratch); ``manage.py remove_stale_contenttypes`` clears its content types."""

from django.db import migrations


def drop_authtoken_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS authtoken_token")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(drop_authtoken_table, migrations.RunPython.noop)]
