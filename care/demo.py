"""Demo care for ``seed_demo --scale small``: a social organisation admitted to the first
street's communities with demo_volunteer as its member, and care plans for elderly residents
living alone in demo_worker's cell — five weeks of them, so the demo shows check-ins done,
one missed past the grace period (on demo_staff's care page), a check-in that filed a
service case linked to the household, volunteer hours and the month's ledgers."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from residents.models import Resident, Tag

from .models import CareKind, CarePlan, CareTask, Frequency, Responsible, SocialOrganisation
from .models import Volunteer as VolunteerMembership
from .services import Problem, complete_task, create_plan

WEEKS = 5
NOTES = (
    "电话问候，老人精神不错",
    "提醒按时服药，已服",
    "身体状况良好，无特殊需求",
    "老人说最近睡眠不好",
)


def delete_care(cells, district) -> None:
    """Care rows of a district, before its residents and users go (they protect them)."""
    CareTask.objects.filter(cell__in=cells).delete()
    CarePlan.objects.filter(resident__cell__in=cells).delete()
    SocialOrganisation.objects.filter(district=district).delete()


@transaction.atomic
def create_care_demo(territory) -> dict[str, int]:
    User = get_user_model()
    worker = User.objects.get(username="demo_worker")
    volunteer = User.objects.get(username="demo_volunteer")
    street = territory.streets[0]
    organisation = SocialOrganisation.objects.create(
        name="夕阳红为老服务中心", district=territory.district, phone="010-65001234"
    )
    organisation.communities.set([c for c in territory.communities if c.street_id == street.pk])
    VolunteerMembership.objects.create(user=volunteer, organisation=organisation)
    alone = Tag.objects.get(code="elderly_alone")
    elders = list(
        Resident.objects.filter(cell=territory.cells[0], tags=alone, moved_out_at__isnull=True)
        .select_related("household")
        .order_by("id")[:4]
    )
    today = timezone.localdate()
    start = today - timedelta(weeks=WEEKS)
    plans = []
    for i, elder in enumerate(elders):
        plans.append(
            create_plan(
                by=worker,
                resident_id=elder.pk,
                tag_id=alone.pk,
                kind=CareKind.CALL,
                responsible=Responsible.WORKER,
                worker_id=worker.pk,
                frequency=Frequency.WEEKLY,
                weekday=i % 5,
                starts_on=start,
                note="每周电话问候",
            )
        )
    if elders:
        plans.append(
            create_plan(
                by=worker,
                resident_id=elders[0].pk,
                tag_id=alone.pk,
                kind=CareKind.VISIT,
                responsible=Responsible.WORKER,
                worker_id=worker.pk,
                frequency=Frequency.MONTHLY,
                day_of_month=31,
                starts_on=start,
            )
        )
        for elder, responsible in zip(
            elders[:2], (Responsible.VOLUNTEER, Responsible.ORGANISATION), strict=False
        ):
            plans.append(
                create_plan(
                    by=worker,
                    resident_id=elder.pk,
                    tag_id=alone.pk,
                    kind=CareKind.COMPANY,
                    responsible=responsible,
                    organisation_id=organisation.pk,
                    frequency=Frequency.WEEKLY,
                    weekday=5,
                    starts_on=start,
                    note="陪老人聊天、读报、打扫",
                )
            )
    done = _play_the_weeks(plans, worker, volunteer, today)
    return {"organisations": 1, "plans": len(plans), **done}


def _play_the_weeks(plans, worker, volunteer, today) -> dict[str, int]:
    """Past tasks done on their day, but one check-in missed a week ago (past the grace
    period) and one that reported a problem."""
    done = hours = cases = 0
    past = CareTask.objects.filter(plan__in=plans, due_on__lt=today).select_related("plan")
    missed = past.filter(plan__kind=CareKind.CALL, due_on__lt=today - timedelta(days=4)).last()
    for n, task in enumerate(past.order_by("due_on", "id")):
        if missed is not None and task.pk == missed.pk:
            continue
        when = timezone.make_aware(datetime.combine(task.due_on, time(10, 30)))
        volunteer_task = task.plan.responsible in (Responsible.VOLUNTEER, Responsible.ORGANISATION)
        problem = None
        if not volunteer_task and not cases and task.plan.kind == CareKind.CALL:
            problem = Problem("S0101", "独居老人反映腿脚不便，希望有人上门助餐")
            cases += 1
        complete_task(
            task_id=task.pk,
            by=volunteer if volunteer_task else worker,
            note=NOTES[n % len(NOTES)] if not volunteer_task else "陪老人聊天、读报",
            hours="2" if volunteer_task else None,
            problem=problem,
            now=when,
        )
        done += 1
        hours += 2 if volunteer_task else 0
    return {"done": done, "volunteer_hours": hours, "cases": cases}
