"""Admin for accounts, and what a staff account that is not a superuser may see at all.

Users are scoped like everything else (``grids.selectors.users_visible_to``): a street's
staff see the accounts assigned within their street, never a superuser's, and may not grant
admin access or permissions. API tokens, sign-in records (django-axes), beat schedules and
permission groups are for superusers only, whatever model permissions an account holds.
"""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from knox.models import AuthToken

from grids.admin import AssignmentInline
from grids.admin_scope import ScopedAdminMixin
from grids.selectors import users_visible_to

from .models import User

# What only a superuser grants: admin access, superuser status, permissions.
PRIVILEGE_FIELDS = frozenset({"is_staff", "is_superuser", "groups", "user_permissions"})


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("GridGov"), {"fields": ("display_name",)}))
    list_display = ("username", "display_name", "email", "is_staff", "is_active")
    search_fields = ("username", "display_name", "email")
    inlines = [AssignmentInline]

    def get_queryset(self, request):
        return users_visible_to(request.user).order_by(*self.get_ordering(request))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        narrowed = []
        for name, options in fieldsets:
            fields = [field for field in options["fields"] if field not in PRIVILEGE_FIELDS]
            narrowed.append((name, {**options, "fields": fields}))
        return narrowed

    def get_list_filter(self, request):
        return super().get_list_filter(request) if request.user.is_superuser else ("is_active",)

    def has_add_permission(self, request) -> bool:
        # A new account has no assignment yet, so it would be in nobody's scope.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deactivate instead: an account's cases, visits and access-log rows stay attributed.
        return request.user.is_superuser


class SuperuserOnlyMixin:
    """The whole model is a superuser's: others see no entry in the index and get 403 at
    its URLs, whatever model permissions they hold."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


SUPERUSER_ONLY = (
    AuthToken,  # knox: token digests and who holds them
    AccessAttempt,  # axes: failed sign-ins, with usernames and addresses
    AccessLog,
    AccessFailureLog,
    PeriodicTask,  # celery-beat: what runs when
    IntervalSchedule,
    CrontabSchedule,
    SolarSchedule,
    ClockedSchedule,
    Group,  # a group's permissions are what a staff account could grant itself
)


def restrict_to_superusers(*models, site: admin.AdminSite = admin.site) -> None:
    """Re-register the admins of ``models`` (registered by their apps, which come before
    this one in INSTALLED_APPS) with ``SuperuserOnlyMixin`` in front."""
    for model in models:
        base = type(site.get_model_admin(model))
        site.unregister(model)
        site.register(model, type(f"SuperuserOnly{base.__name__}", (SuperuserOnlyMixin, base), {}))


restrict_to_superusers(*SUPERUSER_ONLY)
