from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "care"
    verbose_name = _("Care (关爱服务)")

    def ready(self) -> None:
        # Care tasks join the field worker's one task list (cases.today).
        from . import today  # noqa: F401
