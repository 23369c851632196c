"""The Idempotency-Key table, moved here from ``cases`` (whose keys ``cases`` 0017 copies in)
so that any app may honour the header; what a key made is a model label and an id."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IdempotencyKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.UUIDField(verbose_name="idempotency key")),
                ("fingerprint", models.CharField(max_length=64, verbose_name="request fingerprint")),
                ("target", models.CharField(blank=True, max_length=100, verbose_name="made or changed (model)")),
                ("target_id", models.PositiveBigIntegerField(null=True, verbose_name="made or changed (id)")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="created at")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL, verbose_name="user")),
            ],
            options={
                "verbose_name": "idempotency key",
                "verbose_name_plural": "idempotency keys",
                "constraints": [models.UniqueConstraint(fields=("user", "key"), name="idempotency_one_key_per_user")],
            },
        ),
    ]
