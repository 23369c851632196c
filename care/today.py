"""Care tasks in the field worker's one task list (``cases.today``): the user's own tasks
due today or missed, and — for those who oversee a community — tasks others missed by more
than the grace period. Two queries, each on an index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.today import TASK_LIST_SIZE, Task, register_provider

from .models import CareTask
from .selectors import Addressee, addressee, end_of, missed_for_community, my_tasks

CARE = "care"
CARE_MISSED = "care_missed"


@dataclass(frozen=True)
class CareLine:
    """A care task as its line in the task list; ``who``: its resident as the reader may
    see them (``selectors.addressee``)."""

    task: CareTask
    who: Addressee
    overdue: bool
    missed_by_other: bool = False


def _own(user, *, now) -> list[Task]:
    today = timezone.localdate(now)
    return [
        Task(
            CARE,
            end_of(t.due_on),
            item=CareLine(t, addressee(t, today), t.due_on < today),
            template="care/_task.html",
        )
        for t in my_tasks(user, today=today)[:TASK_LIST_SIZE]
    ]


def _missed(user, *, now) -> list[Task]:
    today: date = timezone.localdate(now)
    return [
        Task(
            CARE_MISSED,
            end_of(t.due_on),
            item=CareLine(t, addressee(t, today), True, missed_by_other=True),
            template="care/_task.html",
        )
        for t in missed_for_community(user, today=today).exclude(assignee=user)[:TASK_LIST_SIZE]
    ]


register_provider(CARE, _("Care task"), _own)
register_provider(CARE_MISSED, _("Missed care task in your community"), _missed)
