from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessment"
    verbose_name = _("assessment (考核)")

    def ready(self) -> None:
        from . import tally

        post_migrate.connect(tally.install_if_stale, sender=self)
