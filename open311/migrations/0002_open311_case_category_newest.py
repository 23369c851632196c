"""An index for Open311's ``GET requests?service_code=…``: the newest public cases of a few
categories. Without it the read walks every case of the last 90 days (~150,000 in the
2,000,000-case district) to find 1,000 of two categories; with it, only theirs.

It lives with the app whose read needs it, as plain SQL (Django's model state does not
track it, so ``makemigrations`` stays quiet and ``cases`` keeps its own migrations)."""

from django.db import migrations

INDEX = "open311_case_category_newest"


class Migration(migrations.Migration):
    dependencies = [
        ("open311", "0001_open311_clients_and_attributes"),
        ("cases", "0013_returns_binding_suspension_review"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {INDEX} "
            "ON cases_case (category_id, created_at DESC, id DESC)",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
