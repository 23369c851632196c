"""The Idempotency-Key rows move to the ``idempotency`` app (so visits can use them too):
each key is copied with its case as the target, then the old table goes. Reversible: the
keys of cases are copied back (keys of anything else had no place in the old table)."""

from django.db import migrations

BATCH = 1000
CASE = "cases.case"


def _copy(rows, model, convert) -> None:
    """``convert`` every row of ``rows`` into a new ``model`` row, in batches."""
    last = 0
    while batch := list(rows.filter(pk__gt=last).order_by("pk")[:BATCH]):
        model.objects.bulk_create([convert(row) for row in batch])
        last = batch[-1].pk


def _models(apps):
    return apps.get_model("cases", "IdempotencyKey"), apps.get_model(
        "idempotency", "IdempotencyKey"
    )


def forwards(apps, schema_editor):
    old, new = _models(apps)
    _copy(
        old.objects.all(),
        new,
        lambda row: new(
            user_id=row.user_id,
            key=row.key,
            fingerprint=row.fingerprint,
            target=CASE,
            target_id=row.case_id,
            created_at=row.created_at,
        ),
    )


def backwards(apps, schema_editor):
    old, new = _models(apps)
    kept = new.objects.filter(target=CASE)
    _copy(
        kept,
        old,
        lambda row: old(
            user_id=row.user_id,
            key=row.key,
            fingerprint=row.fingerprint,
            case_id=row.target_id,
            created_at=row.created_at,
        ),
    )
    kept.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_badinput_max_extension"),
        ("idempotency", "0001_field_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="IdempotencyKey"),
    ]
