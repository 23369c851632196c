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

