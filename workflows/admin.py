"""Admin for the working calendar (工作日历): the work schedule and holiday/make-up days.

Rules live in the models' clean() and in workflows.calendar; the admin only calls them.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from .calendar import activate_work_schedule
from .models import CalendarDay, WorkSchedule


@admin.register(WorkSchedule)
class WorkScheduleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "morning_start",
        "morning_end",
        "afternoon_start",
        "afternoon_end",
        "weekend_days",
        "daily_hours",
        "is_active",
    )
    actions = ("make_active",)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting the active schedule would leave every deadline on fallback hours.
        return super().has_delete_permission(request, obj) and not (obj and obj.is_active)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would not ask has_delete_permission per row
        return actions

    @admin.display(description=_("hours a day"))
    def daily_hours(self, obj: WorkSchedule) -> str:
        return f"{obj.daily_working_time.total_seconds() / 3600:g}"

    @admin.action(description=_("Make the selected schedule the active one"))
    def make_active(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one schedule."), messages.ERROR)
            return
        schedule = activate_work_schedule(schedule_id=queryset.get().pk)
        self.message_user(
            request, _("“%(name)s” is now the active schedule.") % {"name": schedule.name}
        )


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name")
    list_filter = ("kind", YearFilter)
    search_fields = ("name",)
    ordering = ("date",)
    date_hierarchy = "date"

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj: CalendarDay) -> str:
        return str(WEEKDAYS_ABBR[obj.date.weekday()])
