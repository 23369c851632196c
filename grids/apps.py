from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Territory")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the spatial-index invalidation)
