"""The month's ledgers (台账) are the data entered once: visits, cases, care tasks and
volunteer hours, row for row, in a fixed layout (Chinese headers, one sheet per ledger), for
a community, a street or a worker — within the reader's scope only (404 outside)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from care.services import Problem, complete_task
from residents.visits import record_visit

from ..factories import HouseholdFactory, ResidentFactory
from .conftest import weekly_call

pytestmark = pytest.mark.django_db

SHEETS = ["走访台账", "事件台账", "特殊人群服务台账", "志愿服务台账"]


@pytest.fixture
def month_of_work(worker_a, member, elder, alone, volunteer_plan):
    """This month: a check-in that spawned a case, a home visit, a volunteer's 2 hours."""
    today = timezone.localdate()
    calls = weekly_call(
        worker_a,
        elder,
        alone,
        starts_on=today.replace(day=1),
        today=today,
        frequency="daily",
        weekday=None,
    )
    first = calls.tasks.order_by("due_on").first()
    complete_task(
        task_id=first.pk,
        by=worker_a,
        note="电话问候：腿疼",
        problem=Problem("S0101", "独居老人腿疼，需要助餐"),
    )
    record_visit(household_id=elder.household_id, by=worker_a, note="上门看望，一切正常")
    task = volunteer_plan.tasks.first()
    complete_task(task_id=task.pk, by=member, note="陪老人读报", hours="2")
    return calls


def ledger_url(**params):
    params.setdefault("month", timezone.localdate().strftime("%Y-%m"))
    return "/care/ledgers/?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_the_workbook_has_the_four_ledgers_row_for_row(
    month_of_work, volunteer_plan, street_staff, territory, client, worker_a, member
):
    client.force_login(street_staff)
    response = client.get(ledger_url(community=territory.community1.pk, format="xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == SHEETS
    rows = {name: list(book[name].iter_rows(values_only=True)) for name in SHEETS}
    assert rows["走访台账"][2] == ("序号", "走访时间", "社区", "网格", "户址", "走访人", "走访情况")
    visits = rows["走访台账"][3:]
    assert [(r[4], r[6]) for r in visits] == [("幸福路12号院3号楼2单元301", "上门看望，一切正常")]
    (case,) = rows["事件台账"][3:]
    assert case[3].startswith("S0101") and case[7] == "走访 visit"
    care = rows["特殊人群服务台账"][3:]
    done = [r for r in care if r[11] == "已完成"]
    assert {(r[1], r[5], r[10], r[12] or "") for r in done} == {
        ("王秀英", "check-in call (电话问候)", "电话问候：腿疼", case[1]),
        ("王秀英", "company and help at home (陪伴助老)", "陪老人读报", ""),
    }
    # Every task due this month is a row, done or not: the daily calls and the volunteer's
    # weekly visits (one to five of them, by the day of the month the test runs on).
    today = timezone.localdate()
    month = {"due_on__year": today.year, "due_on__month": today.month}
    assert len(care) == sum(
        plan.tasks.filter(**month).count() for plan in (month_of_work, volunteer_plan)
    )
    (hours,) = rows["志愿服务台账"][3:]
    assert (hours[1], hours[2], hours[5], hours[7]) == (
        str(member),
        "夕阳红为老服务中心",
        "王奶奶",
        2.0,
    )


def test_the_print_page_shows_the_same_rows(month_of_work, worker_a, client, territory):
    client.force_login(worker_a)
    page = client.get(ledger_url(worker=worker_a.pk))
    text = page.content.decode()
    assert page.status_code == 200
    for title in SHEETS:
        assert title in text
    assert "上门看望，一切正常" in text and "电话问候：腿疼" in text
    assert "陪老人读报" not in text  # the volunteer's work is not the worker's


def test_an_overseer_sees_names_and_addresses_masked(
    month_of_work, district_admin, client, territory
):
    client.force_login(district_admin)
    text = client.get(ledger_url(community=territory.community1.pk)).content.decode()
    assert "上门看望" in text
    assert "王秀英" not in text and "2单元301" not in text


def test_out_of_scope_is_404(month_of_work, staff2, worker_b, worker_a, territory, client):
    client.force_login(staff2)
    assert client.get(ledger_url(community=territory.community1.pk)).status_code == 404
    assert client.get(ledger_url(street=territory.street1.pk)).status_code == 404
    assert client.get(ledger_url(worker=worker_a.pk)).status_code == 404
    client.force_login(worker_b)  # a cell worker: their own ledger, not the community's
    assert client.get(ledger_url(community=territory.community1.pk)).status_code == 404
    own = client.get(ledger_url(worker=worker_b.pk)).content.decode()
    assert "上门看望" not in own


def test_the_ledgers_take_a_constant_number_of_queries(
    month_of_work, street_staff, territory, client, worker_a, alone, django_assert_max_num_queries
):
    client.force_login(street_staff)
    url = ledger_url(street=territory.street1.pk, format="xlsx")
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(6):
        household = HouseholdFactory(cell=territory.cell_a, address=f"幸福路{n}号院1号楼")
        record_visit(household_id=household.pk, by=worker_a, note=f"走访{n}")
        resident = ResidentFactory(household=household, tags=[alone])
        weekly_call(
            worker_a,
            resident,
            alone,
            frequency="daily",
            weekday=None,
            starts_on=timezone.localdate().replace(day=1),
            today=timezone.localdate(),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    book = load_workbook(BytesIO(response.content))
    assert book["走访台账"].max_row == 3 + 7


@pytest.mark.parametrize("who", ["volunteer", "handler"])
def test_no_ledger_for_those_without_a_ledger_role(month_of_work, who, request, territory, client):
    client.force_login(request.getfixturevalue(who))
    for params in ({}, {"community": territory.community1.pk}, {"format": "xlsx"}):
        response = client.get(ledger_url(**params))
        assert response.status_code == 404, params
        assert "王奶奶" not in response.content.decode(errors="replace")
