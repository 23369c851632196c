"""The admin answers a staff account as the pages and the API do (DESIGN §6): a list shows
what the model's scope selector gives the user, and an object outside it is a 404.

Superusers see everything (the selectors give them everything). A staff account that is not
a superuser still needs Django's model permissions to open a list at all; the scope then
narrows it to the territory of their current assignments, so a staff flag with an ended
assignment shows nothing.
"""

from __future__ import annotations

from django.http import Http404


class ScopedAdminMixin:
    """For a ModelAdmin whose ``get_queryset`` is a scope selector: an object outside it (or
    no such object) answers 404 on its change, history and delete pages, as the pages and the
    API do; Django's admin would redirect to its index saying it "may have been deleted"."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object in your scope.")
        return obj
