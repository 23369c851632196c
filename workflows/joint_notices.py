"""Who is told what after a joint-handling step (吹哨报到): the departments a part or a
summons names, the street staff who decide a transfer, the handler whose request was
refused. Used by ``workflows.notifications.notify_next_actor``; ``None`` for other actions."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cases.models import Case, CaseStatus
from grids.models import Assignment, Role

JOINT_ACTIONS = frozenset(
    {
        "add_codepartment",
        "report_part",
        "release_part",
        "summon",
        "check_in",
        "request_transfer",
        "approve_transfer",
        "refuse_transfer",
    }
)


def _named_departments(case: Case, step: int) -> list[int]:
    """The departments the case's event ``step`` gave a part or a summons to."""
    event = case.events.filter(seq=step).only("payload").first()
    payload = event.payload if event else {}
    named = [row["department"] for row in payload.get("summons", ())]
    if "part" in payload:
        named.append(payload["part"]["department"])
    return named


def _handlers_of(departments: list[int]) -> set[int]:
    return set(
        Assignment.objects.active()
        .filter(role=Role.HANDLER, department_id__in=departments, user__is_active=True)
        .values_list("user_id", flat=True)
    )


def joint_next_actors(case: Case, action: str, recipients, *, step: int) -> set[int] | None:
    """Who must act after the joint step ``action`` (the case's event ``step``)."""
    if action not in JOINT_ACTIONS:
        return None
    if action in ("add_codepartment", "summon"):
        return _handlers_of(_named_departments(case, step))
    if action == "request_transfer":
        return recipients.street_staff(case)
    if action in ("approve_transfer", "refuse_transfer"):
        return recipients.case_handlers(case)
    if case.status == CaseStatus.FEEDBACK:  # the last part: the verifier goes on site
        return recipients.actors(case)
    return set()


def joint_message(case: Case, action: str) -> str | None:
    params = {"number": case.number, "title": case.title}
    messages = {
        "add_codepartment": _(
            "Case %(number)s “%(title)s”: your department is a co-department (协办): please "
            "do your part and report it."
        ),
        "summon": _(
            "吹哨 Case %(number)s “%(title)s”: your department is summoned to the site: check "
            "in (报到) on arrival."
        ),
        "request_transfer": _(
            "Case %(number)s “%(title)s”: the department asks to transfer it (转办)."
        ),
        "approve_transfer": _(
            "Case %(number)s “%(title)s” was transferred to your department (转办): please "
            "handle it."
        ),
        "refuse_transfer": _("Case %(number)s “%(title)s”: the transfer request was refused."),
    }
    message = messages.get(action)
    return None if message is None else message % params
