from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from accounts.admin import SuperuserOnlyMixin

from .models import Open311Client, ServiceAttribute, new_key


@admin.register(Open311Client)
class Open311ClientAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    """Clients and the services they may post. A new client gets a key shown once in the
    message after saving; "Issue a new key" replaces a lost or leaked one. Superusers only:
    who holds a key, and the power to issue one, are not for every staff account."""

    list_display = ["name", "contact", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "contact"]
    filter_horizontal = ["services"]
    actions = ["issue_new_keys"]

    def save_model(self, request, obj: Open311Client, form, change: bool) -> None:
        key = None
        if not obj.key_hash:
            key = new_key()
            obj.set_key(key)
        super().save_model(request, obj, form, change)
        if key:
            self._show_key(request, obj, key)

    @admin.action(description=_("Issue a new key (the old one stops working)"))
    def issue_new_keys(self, request, queryset) -> None:
        for client in queryset:
            key = new_key()
            client.set_key(key)
            client.save(update_fields=["key_hash"])
            self._show_key(request, client, key)

    def _show_key(self, request, client: Open311Client, key: str) -> None:
        message = _("API key of %(client)s (shown only now): %(key)s")
        self.message_user(request, message % {"client": client, "key": key}, messages.WARNING)


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    """The questions a service's definition asks Open311 clients."""

    list_display = ["category", "order", "code", "description", "datatype", "required"]
    list_filter = ["datatype", "required"]
    search_fields = ["code", "description", "category__code", "category__name"]
    autocomplete_fields = ["category"]
