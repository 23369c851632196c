from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from .models import Category
        from .selectors import invalidate_categories

        post_save.connect(invalidate_categories, sender=Category, dispatch_uid="categories")
        post_delete.connect(invalidate_categories, sender=Category, dispatch_uid="categories-d")
