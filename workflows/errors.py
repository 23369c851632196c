"""Errors of the case state machine, each mapping to one HTTP status.

- ``TransitionNotAllowed`` → 409: the action exists and the user may do it, but not now
  (the case is in another state, or a condition of the case refuses it). The message names
  the current state and what is allowed, and the condition's reason if there is one.
- ``ActionForbidden`` → 403: this user may not do this action (their role never may, or the
  case names someone else, e.g. another verifier).
- ``django.core.exceptions.ValidationError`` → 400: a missing or invalid field.
- ``django.http.Http404`` → 404: the case is outside the user's scope.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _


class WorkflowError(Exception):
    """Base class; ``http_status`` is the response code an interface should answer with."""

    http_status = 400


class TransitionNotAllowed(WorkflowError):
    http_status = 409

    def __init__(
        self, *, action: str, status: str, allowed: Sequence[str], reason: str = ""
    ) -> None:
        from cases.models import CaseStatus  # errors is imported early; keep it light

        from .transitions import ACTION_LABELS

        self.action, self.status, self.allowed = action, status, list(allowed)
        message = _(
            "“%(action)s” is not possible while the case is %(status)s (%(code)s); "
            "allowed now: %(allowed)s."
        ) % {
            "action": ACTION_LABELS.get(action, action),
            "status": CaseStatus(status).label if status in CaseStatus.values else status,
            "code": status,
            "allowed": ", ".join(str(ACTION_LABELS.get(a, a)) for a in self.allowed)
            or _("nothing"),
        }
        super().__init__(f"{message} {reason}" if reason else message)


class ActionForbidden(WorkflowError):
    http_status = 403

    def __init__(self, *, action: str, reason: str) -> None:
        self.action = action
        super().__init__(reason)


class ReopenClosed(WorkflowError):
    """409: a resident may no longer ask to reopen this case (too long after closing, or
    asked once already for this closing)."""

    http_status = 409

    def __init__(self, *, days: int, again: bool = False) -> None:
        super().__init__(
            _(
                "This case was already sent back once after closing; call the hotline if it "
                "is still not fixed."
            )
            if again
            else _("A case can be reopened within %(days)d days of closing.") % {"days": days}
        )
