"""Care fixtures over the persona territory (tests/conftest.py): an elderly resident living
alone in cell A with a weekly check-in plan of worker A, a social organisation admitted to
community 1, and volunteer tasks there."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from care.models import CareKind, Frequency, Responsible, SocialOrganisation, Volunteer
from care.services import create_plan
from grids.models import Role
from residents.models import Tag

from ..cases.personas import staff2  # noqa: F401  (a fixture, found by name)
from ..factories import HouseholdFactory, ResidentFactory, assigned_user

MONDAY = date(2026, 11, 2)


@pytest.fixture
def alone(db) -> Tag:
    return Tag.objects.get(code="elderly_alone")


@pytest.fixture
def elder(territory, alone):
    """王秀英, 80, living alone at 幸福路12号院3号楼2单元301 in cell A."""
    household = HouseholdFactory(cell=territory.cell_a, address="幸福路12号院3号楼2单元301")
    return ResidentFactory(
        household=household,
        name="王秀英",
        gender="F",
        birth_date=date(1946, 3, 8),
        phone="13912345678",
        tags=[alone],
    )


@pytest.fixture
def organisation(territory) -> SocialOrganisation:
    org = SocialOrganisation.objects.create(name="夕阳红为老服务中心", district=territory.district)
    org.communities.add(territory.community1)
    return org


@pytest.fixture
def member(volunteer, organisation):
    """The community-1 volunteer, a member of the organisation."""
    Volunteer.objects.create(user=volunteer, organisation=organisation)
    return volunteer


@pytest.fixture
def volunteer_x(territory):
    return assigned_user(Role.VOLUNTEER, "community", territory.community2, "volunteer_x")


def weekly_call(by, resident, tag, *, weekday=0, starts_on=MONDAY, today=MONDAY, **extra):
    return create_plan(
        by=by,
        resident_id=resident.pk,
        tag_id=tag.pk,
        kind=extra.pop("kind", CareKind.CALL),
        responsible=extra.pop("responsible", Responsible.WORKER),
        worker_id=extra.pop("worker_id", by.pk),
        frequency=extra.pop("frequency", Frequency.WEEKLY),
        weekday=weekday,
        starts_on=starts_on,
        today=today,
        **extra,
    )


@pytest.fixture
def volunteer_plan(worker_a, elder, alone):
    return weekly_call(
        worker_a,
        elder,
        alone,
        kind=CareKind.COMPANY,
        responsible=Responsible.VOLUNTEER,
        worker_id=None,
        note="陪老人聊天、读报",
        weekday=timezone.localdate().weekday(),
        starts_on=timezone.localdate(),
        today=timezone.localdate(),
    )
