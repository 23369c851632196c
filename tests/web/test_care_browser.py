"""Care, end to end in real Chromium (issue 15): demo_worker sets a weekly check-in plan for an
elderly resident living alone, does today's check-in from the task list and reports a problem
as a service case linked to the household; street staff accept and dispatch it; the month's
ledgers download from the print page and contain those rows."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from care.models import CarePlan
from cases.models import Case
from grids.models import Department, DepartmentKind, GridCell
from residents.services import create_household, create_resident
from workflows.services import SERVICES

from ..factories import make_id_number
from .conftest import DESK, PHONE, WORKER_CELL, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def elder(demo_site):
    """An elderly woman living alone in demo_worker's cell, registered through the services
    (the household pages are another branch's)."""
    cell = next(c for c in GridCell.objects.all() if c.full_code == WORKER_CELL)
    household = create_household(cell=cell, address="光华路8号院5号楼1单元602")
    return create_resident(
        household=household,
        name="李桂兰",
        gender="F",
        id_number=make_id_number(birth=date(1944, 5, 6), seq=22),
        phone="13801234567",
        tags=["elderly_alone"],
    )


def test_plan_check_in_case_and_ledgers(browser, live_server, elder):
    today = timezone.localdate()
    worker = sign_in(browser, live_server, "demo_worker", viewport=PHONE)

    # 1. A weekly check-in call, on today's weekday, from the care page.
    worker.goto(f"{live_server.url}/care/")
    worker.locator(f"a[href='/care/residents/{elder.pk}/plan/']").click()
    worker.select_option("[name=tag]", label="独居老人")
    worker.select_option("[name=kind]", "call")
    worker.select_option("[name=responsible]", "worker")
    worker.select_option("[name=frequency]", "weekly")
    worker.select_option("[name=weekday]", str(today.weekday()))
    worker.fill("[name=note]", "每周电话问候")
    screenshot(worker, "care-plan-form-phone")
    worker.get_by_test_id("save-plan").click()
    worker.wait_for_url(re.compile(r"/care/$"))
    plan = CarePlan.objects.get(resident=elder)
    assert plan.worker.username == "demo_worker" and plan.weekday == today.weekday()

    # 2. Today's check-in is in the one task list; it reports a problem.
    worker.goto(f"{live_server.url}/")
    task = worker.locator("[data-kind=care]")
    expect(task).to_have_count(1)
    expect(task).to_contain_text("李桂兰")
    task.locator("a").click()
    worker.fill("[name=note]", "电话问候：老人说腿疼，下楼困难")
    worker.check("[name=report]")
    worker.select_option("[name=category]", "S0101")
    worker.fill("[name=description]", "独居老人腿疼下楼困难，需要上门助餐")
    worker.get_by_test_id("mark-done").click()
    worker.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get(household=elder.household)
    assert case.resident == elder and case.source == "visit"
    expect(worker.get_by_test_id("household-history")).to_contain_text("光华路8号院5号楼")
    screenshot(worker, "care-service-case-phone")

    # 3. Street staff take it on (accept, dispatch to civil affairs).
    staff = get_user_model().objects.get(username="demo_staff")
    SERVICES["accept"](case_id=case.pk, by=staff)
    civil = Department.objects.get(kind=DepartmentKind.CIVIL_AFFAIRS)
    SERVICES["dispatch"](case_id=case.pk, by=staff, department_id=civil.pk)

    # 4. The month's ledgers of the community, on the print page and as Excel.
    desk = sign_in(browser, live_server, "demo_staff", viewport=DESK)
    month = today.strftime("%Y-%m")
    desk.goto(f"{live_server.url}/care/ledgers/?month={month}&community={elder.cell.community_id}")
    expect(desk.get_by_test_id("ledger-cases")).to_contain_text(case.number)
    expect(desk.get_by_test_id("ledger-care")).to_contain_text("电话问候：老人说腿疼")
    screenshot(desk, "care-ledgers-desk")
    with desk.expect_download() as download:
        desk.get_by_test_id("download-xlsx").click()
    # Playwright's file has no extension, which openpyxl reads from: read the bytes.
    book = load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
    cases = [row for row in book["事件台账"].iter_rows(min_row=4, values_only=True)]
    assert [r[1] for r in cases if r[1] == case.number] == [case.number]
    (mine,) = [r for r in cases if r[1] == case.number]
    assert mine[8].startswith("已派遣")  # the download was asked for in Chinese
    care = list(book["特殊人群服务台账"].iter_rows(min_row=4, values_only=True))
    assert any(
        r[1] == "李桂兰" and r[10] == "电话问候：老人说腿疼，下楼困难" and r[12] == case.number
        for r in care
    )
