"""The whole closed loop through the pages, by the demo personas, in real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cases.models import Attachment, Case
from grids.models import Assignment, Department, DepartmentKind, Role

from .conftest import DESK, PHONE, WORKER_CELL, gradient_png, phone_gps, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def two_worker_street(demo_site, settings):
    """Street 1 worked by demo_worker (cell 1) and demo_worker2 (cell 2) only, and every
    verification drawn for cross-check: so demo_worker2 verifies demo_worker's report."""
    Assignment.objects.filter(role=Role.GRID_WORKER, cell__community__street__code="001").exclude(
        user__username__in=["demo_worker", "demo_worker2"]
    ).delete()
    settings.CROSS_CHECK_SHARE = 1.0
    return demo_site


def test_report_accept_dispatch_handle_verify_close(browser, live_server, two_worker_street):
    lon, lat = two_worker_street[WORKER_CELL]

    # 1. demo_worker reports from the phone: GPS fills the cell, a favourite category, one
    #    sentence and a photo straight from the camera (shrunk before upload).
    worker = sign_in(
        browser,
        live_server,
        "demo_worker",
        viewport=PHONE,
        **phone_gps(lon, lat),
    )
    # Their cell is drawn on the map from its polygon alone (no tile server).
    expect(worker.locator("#cell-map path.cell-shape")).to_have_count(1)
    screenshot(worker, "worker-home-phone")
    worker.click("a.menu-report")
    expect(worker.locator("#gps-status")).to_contain_text("光华社区")
    worker.locator("#favourites .chip").first.click()
    worker.fill("[name=description]", "3号楼门前井盖松动，有行人绊倒的危险。")
    photo = gradient_png(2400, 1800)
    worker.set_input_files(
        "[name=photos]", files=[{"name": "IMG_0001.png", "mimeType": "image/png", "buffer": photo}]
    )
    expect(worker.locator("#photo-preview img")).to_have_count(1)
    screenshot(worker, "report-form-phone")
    worker.click("#send-report")
    worker.wait_for_url(re.compile(r"/cases/\d+/$"))
    case_id = int(worker.url.rstrip("/").rsplit("/", 1)[1])
    expect(worker.get_by_test_id("case-status")).to_have_attribute("data-status", "collected")

    case = Case.objects.get(pk=case_id)
    assert case.cell.full_code == WORKER_CELL and case.reporter.username == "demo_worker"
    (stored,) = Attachment.objects.filter(case=case, stage=Attachment.Stage.REPORT)
    # Downscaled in the browser: a JPEG no larger than 1600 px, smaller than what was chosen.
    assert stored.content_type == "image/jpeg" and stored.size < len(photo)

    # 2. demo_staff works the queue at a desk: accept and dispatch from the keyboard.
    staff = sign_in(browser, live_server, "demo_staff", viewport=DESK)
    staff.goto(f"{live_server.url}/queue/")
    item = staff.locator(f"#case-{case_id}")
    expect(item).to_be_visible()
    screenshot(staff, "staff-queue")
    urban = Department.objects.get(kind=DepartmentKind.URBAN_MANAGEMENT)
    item.focus()
    staff.keyboard.press("/")  # the department picker: type, Enter dispatches
    staff.keyboard.type(urban.name)
    staff.keyboard.press("Enter")
    expect(staff.locator(f"#case-{case_id}[data-queue-done]")).to_contain_text(urban.name)

    # 3. demo_handler starts it from the department list, then reports the result with a photo.
    handler = sign_in(browser, live_server, "demo_handler")
    handler.goto(f"{live_server.url}/department/")
    handler.locator(f"#case-{case_id} button", has_text=re.compile("Start|开始")).click()
    expect(handler.locator(f"#case-{case_id}[data-queue-done]")).to_be_visible()
    handler.goto(f"{live_server.url}/cases/{case_id}/")
    report = handler.locator("details[data-action=report]")
    report.locator("[name=note]").fill("已更换井盖并加固。")
    report.locator("[name=photos]").set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": gradient_png(800, 600)}]
    )
    report.get_by_test_id("do-report").click()
    expect(handler.get_by_test_id("case-status")).to_have_attribute("data-status", "feedback")
    expect(handler.get_by_test_id("no-actions")).to_be_visible()  # a handler never verifies

    case.refresh_from_db()
    assert case.verifier.username == "demo_worker2" and case.cross_check

    # 4. demo_worker2 verifies on site; the case closes with six steps on its timeline.
    verifier = sign_in(browser, live_server, "demo_worker2", viewport=PHONE)
    expect(verifier.locator(f"a[href='/cases/{case_id}/']")).to_be_visible()  # on *today*
    verifier.goto(f"{live_server.url}/cases/{case_id}/")
    verify = verifier.locator("details[data-action=verify_pass]")
    verify.locator("[name=note]").fill("现场核查，井盖已固定。")
    verify.locator("[name=photos]").set_input_files(
        files=[{"name": "onsite.png", "mimeType": "image/png", "buffer": gradient_png(640, 480)}]
    )
    verify.get_by_test_id("do-verify_pass").click()
    expect(verifier.get_by_test_id("case-status")).to_have_attribute("data-status", "closed")
    steps = verifier.get_by_test_id("timeline-step")
    expect(steps).to_have_count(6)
    assert [steps.nth(i).get_attribute("data-action") for i in range(6)] == [
        "create",
        "accept",
        "dispatch",
        "start",
        "report",
        "verify_pass",
    ]
    screenshot(verifier, "case-page-closed-phone")
    assert Case.objects.get(pk=case_id).status == "closed"
