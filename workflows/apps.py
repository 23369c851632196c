from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        from .calendar import invalidate_calendar
        from .models import CalendarDay, WorkSchedule

        for model in (CalendarDay, WorkSchedule):
            post_save.connect(invalidate_calendar, sender=model, dispatch_uid=f"cal-{model}")
            post_delete.connect(invalidate_calendar, sender=model, dispatch_uid=f"cal-d-{model}")
