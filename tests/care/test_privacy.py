"""What the care pages show of a resident to whom (as residents.display does): whole names,
addresses and sensitive tags only to those who serve the resident; a sensitive tag to anyone
else as "1 sensitive tag"; a volunteer who took a task sees, even in their own task list, only
how to greet the resident and the building."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from residents.models import Tag

from .conftest import weekly_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def disabled_plan(worker_a, elder):
    disabled = Tag.objects.get(code="disabled")
    assert disabled.sensitive
    elder.tags.add(disabled)
    today = timezone.localdate()
    return weekly_call(
        worker_a, elder, disabled, weekday=today.weekday(), starts_on=today, today=today
    )


def test_a_sensitive_tag_is_shown_only_to_those_who_serve(
    disabled_plan, worker_a, district_admin, client
):
    name = disabled_plan.tag.name
    task = disabled_plan.tasks.first()
    month = timezone.localdate().strftime("%Y-%m")
    pages = ("/care/", f"/care/tasks/{task.pk}/", f"/care/ledgers/?month={month}")
    for user, shown in ((worker_a, True), (district_admin, False)):
        client.force_login(user)
        for url in pages:
            text = client.get(url).content.decode()
            assert (name in text) is shown, (user, url)
            assert ("1 sensitive tag" in text) is not shown, (user, url)
    book = client.get(f"/care/ledgers/?month={month}&format=xlsx").content
    rows = list(load_workbook(BytesIO(book))["特殊人群服务台账"].iter_rows(values_only=True))
    assert rows[3][2] == "1 sensitive tag"


def test_a_volunteers_own_task_list_shows_how_to_greet_and_the_building(
    volunteer, volunteer_plan, worker_a, elder, client
):
    from care.services import take_task
    from care.today import CARE
    from cases.today import task_list

    task = volunteer_plan.tasks.get(due_on=timezone.localdate())
    take_task(task_id=task.pk, by=volunteer)
    (line,) = [t for t in task_list(volunteer) if t.kind == CARE]
    assert line.item.task == task
    client.force_login(volunteer)
    home = client.get("/").content.decode()
    assert 'data-kind="care"' in home
    assert "王奶奶" in home and "幸福路12号院3号楼" in home
    for secret in ("王秀英", "2单元301", elder.phone[-4:]):
        assert secret not in home, secret
    # The worker who serves the cell keeps the whole name and door.
    weekly_call(
        worker_a,
        elder,
        volunteer_plan.tag,
        frequency="daily",
        weekday=None,
        starts_on=timezone.localdate(),
        today=timezone.localdate(),
    )
    client.force_login(worker_a)
    home = client.get("/").content.decode()
    assert "王秀英" in home and "幸福路12号院3号楼2单元301" in home
