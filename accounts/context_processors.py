"""What every page's header needs: the user's roles (for the menu) and unread notices.

Lazy, so a page that never renders the header (an htmx fragment) costs no query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import SimpleLazyObject

from grids.access import current_roles
from grids.models import Role

FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.FUNCTIONAL_WORKER, Role.VOLUNTEER})
# Those who keep households and residents (residents.household_pages).
KEEPER_ROLES = frozenset({Role.GRID_WORKER, Role.FUNCTIONAL_WORKER, Role.STREET_STAFF})


@dataclass(frozen=True)
class Shell:
    roles: frozenset[str] = field(default_factory=frozenset)
    unread: int = 0

    @property
    def is_field(self) -> bool:
        return bool(self.roles & FIELD_ROLES)

    @property
    def keeps_households(self) -> bool:
        return bool(self.roles & KEEPER_ROLES)

    @property
    def is_staff(self) -> bool:
        return Role.STREET_STAFF in self.roles

    @property
    def is_handler(self) -> bool:
        return Role.HANDLER in self.roles

    @property
    def is_admin(self) -> bool:
        return Role.DISTRICT_ADMIN in self.roles


def shell_for(request) -> Shell:
    user = request.user
    if not user.is_authenticated:
        return Shell()
    from workflows.notifications import unread_count  # workflows imports accounts' user model

    return Shell(
        roles=current_roles(request),
        unread=unread_count(user),
    )


def request_shell(request) -> Shell:
    """The user's Shell, read once per request (the home view, the pages' assignment check
    and the header share it)."""
    if not hasattr(request, "_gridgov_shell"):
        request._gridgov_shell = shell_for(request)
    return request._gridgov_shell


def shell(request) -> dict:
    return {"shell": SimpleLazyObject(lambda: request_shell(request))}
