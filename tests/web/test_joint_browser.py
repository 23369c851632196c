"""Joint handling (吹哨报到) through the pages, in real Chromium: street staff at a 1366×768
desk dispatch a case to 城管 with 消防 as co-department and summon both; each department's
handler checks in on site from a 360 px phone (GPS) and reports; a worker verifies; the
timeline shows every step and the dashboard each department's 报到率."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case
from grids.models import Assignment, Department, DepartmentKind, Role

from .conftest import PHONE, WORKER_CELL, gradient_png, phone_gps, report_case, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
STAFF_DESK = {"width": 1366, "height": 768}


@pytest.fixture
def street(demo_site, settings):
    """Street 1 worked by demo_worker and demo_worker2 only, every check drawn across: so
    demo_worker2 verifies demo_worker's report."""
    Assignment.objects.filter(role=Role.GRID_WORKER, cell__community__street__code="001").exclude(
        user__username__in=["demo_worker", "demo_worker2"]
    ).delete()
    settings.CROSS_CHECK_SHARE = 1.0
    return demo_site


@pytest.fixture(autouse=True)
def _patient_expect():
    """Eleven steps by five people on a shared two-core machine: wait longer for each."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def _open(page, action: str):
    details = page.locator(f"details[data-action={action}]")
    details.evaluate("d => d.open = true")
    return details


def _act(page, action: str, status: str | None = None) -> None:
    page.evaluate("document.querySelector('[data-testid=done]')?.remove()")  # the last one's
    page.get_by_test_id(f"do-{action}").click()
    expect(page.get_by_test_id("done")).to_be_visible()
    if status:
        expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", status)


def test_dispatch_with_co_department_summon_check_in_report_verify(browser, live_server, street):
    lon, lat = street[WORKER_CELL]
    case = report_case(street, WORKER_CELL, "demo_worker")
    urban = Department.objects.get(kind=DepartmentKind.URBAN_MANAGEMENT)
    fire = Department.objects.get(kind=DepartmentKind.FIRE)
    url = f"{live_server.url}/cases/{case.pk}/"

    # 1. Street staff, at a desk: accept and dispatch to 城管 from the queue's keyboard path.
    staff = sign_in(browser, live_server, "demo_staff", viewport=STAFF_DESK)
    staff.goto(f"{live_server.url}/queue/")
    item = staff.locator(f"#case-{case.pk}")
    item.focus()
    staff.keyboard.press("/")
    staff.keyboard.type(urban.name)
    staff.keyboard.press("Enter")
    expect(staff.locator(f"#case-{case.pk}[data-queue-done]")).to_contain_text(urban.name)
    # 消防 as co-department with its part, then the whistle for both.
    staff.goto(url)
    form = _open(staff, "add_codepartment")
    form.locator("select[name=department]").select_option(str(fire.pk))
    form.locator("[name=note]").fill("核查消防通道占用情况")
    _act(staff, "add_codepartment", "dispatched")
    expect(staff.get_by_test_id("part")).to_have_attribute("data-status", "open")
    form = _open(staff, "summon")
    for department in (urban, fire):
        form.locator(f"input[name=departments][value='{department.pk}']").check()
    _act(staff, "summon")
    expect(staff.get_by_test_id("summons")).to_have_count(2)
    screenshot(staff, "joint-case-staff")

    # 2. 消防's handler on a phone, on site: check in, report the part.
    fire_phone = sign_in(
        browser, live_server, "handler_fire", viewport=PHONE, **phone_gps(lon, lat)
    )
    fire_phone.goto(url)
    _open(fire_phone, "check_in")
    expect(fire_phone.get_by_test_id("checkin-status")).to_have_attribute("data-fix", "1")
    _act(fire_phone, "check_in")
    expect(fire_phone.locator("[data-testid=summons][data-checked-in='1']")).to_have_count(1)
    part = _open(fire_phone, "report_part")
    part.locator("[name=note]").fill("消防通道已清理，符合要求。")
    _act(fire_phone, "report_part", "dispatched")
    expect(fire_phone.get_by_test_id("part")).to_have_attribute("data-status", "reported")
    screenshot(fire_phone, "joint-case-fire-phone")

    # 3. 城管's handler on a phone: check in, start, report with a photo → feedback.
    urban_phone = sign_in(
        browser, live_server, "demo_handler", viewport=PHONE, **phone_gps(lon, lat)
    )
    urban_phone.goto(url)
    _open(urban_phone, "check_in")
    expect(urban_phone.get_by_test_id("checkin-status")).to_have_attribute("data-fix", "1")
    _act(urban_phone, "check_in")
    _open(urban_phone, "start")
    _act(urban_phone, "start", "handling")
    report = _open(urban_phone, "report")
    report.locator("[name=note]").fill("违建已拆除，通道畅通。")
    report.locator("[name=photos]").set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": gradient_png(800, 600)}]
    )
    _act(urban_phone, "report", "feedback")

    # 4. A worker verifies on site; the timeline shows every step.
    verifier = sign_in(browser, live_server, "demo_worker2", viewport=PHONE)
    verifier.goto(url)
    verify = _open(verifier, "verify_pass")
    verify.locator("[name=note]").fill("现场核查，消防通道畅通。")
    verify.locator("[name=photos]").set_input_files(
        files=[{"name": "onsite.png", "mimeType": "image/png", "buffer": gradient_png(640, 480)}]
    )
    # A worker's verification goes through the phone's outbox; the page reloads once it is sent.
    verifier.get_by_test_id("do-verify_pass").click()
    expect(verifier.get_by_test_id("case-status")).to_have_attribute("data-status", "closed")
    steps = verifier.get_by_test_id("timeline-step")
    expected = ["create", "accept", "dispatch", "add_codepartment", "summon", "check_in",
                "report_part", "check_in", "start", "report", "verify_pass"]  # fmt: skip
    expect(steps).to_have_count(len(expected))
    assert [steps.nth(i).get_attribute("data-action") for i in range(len(expected))] == expected
    assert Case.objects.get(pk=case.pk).status == "closed"

    # 5. The dashboard shows each department's 报到率 (one summons each: 1/1, under 5: "—").
    staff.goto(f"{live_server.url}/dashboard/")
    rows = staff.get_by_test_id("arrival-row")
    expect(rows).to_have_count(2)
    for department in (urban, fire):
        row = rows.filter(has_text=department.name)
        expect(row).to_contain_text(re.compile(r"— \(1/1\)"))
    screenshot(staff, "dashboard-arrivals")
