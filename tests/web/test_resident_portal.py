"""A resident on a 360 px phone, with no account: reports with a photo, follows the case by
its code while the street office and the department work it, rates the result once, and the
rating shows in 满意率 on the dashboard."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from cases.models import Attachment, Case
from grids.models import Department, DepartmentKind
from workflows import services

from .conftest import DESK, GPS_SCRIPT, PHONE, WORKER_CELL, gradient_png, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def resident_phone(browser, gps: tuple[float, float]):
    """A fresh phone browser (no sign-in) whose GPS has a fix at ``gps``."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.add_init_script(GPS_SCRIPT % gps)
    page = context.new_page()
    page.on("console", lambda m: print(f"[resident console] {m.type}: {m.text}"))
    page.on("response", lambda r: r.status >= 400 and print(f"[resident] {r.status} {r.url}"))
    return page


def test_a_resident_reports_tracks_and_rates(browser, live_server, demo_site, django_user_model):
    lon, lat = demo_site[WORKER_CELL]
    resident = resident_phone(browser, (lon, lat))
    resident.goto(f"{live_server.url}/")
    expect(resident).to_have_url(f"{live_server.url}/public/")
    resident.click("a.menu-report")
    # The phone's position finds the grid cell; the report form offers public categories.
    expect(resident.locator("#gps-status")).to_contain_text("光华社区")
    resident.fill("[data-filter-select]", "井盖")
    expect(resident.locator("#id_category")).not_to_have_value("")
    resident.fill("[name=description]", "小区东门人行道井盖松动，踩上去会翻。")
    photo = gradient_png(2000, 1500)
    resident.set_input_files(
        "[name=photos]", files=[{"name": "IMG_2001.png", "mimeType": "image/png", "buffer": photo}]
    )
    expect(resident.locator("#photo-preview img")).to_have_count(1)
    resident.fill("[name=phone]", "13912345678")
    screenshot(resident, "public-report-phone")
    resident.click("#send-report")
    resident.wait_for_url(re.compile(r"/public/track/[A-Z0-9]{10}/\?new=1$"))
    code = resident.url.split("/public/track/")[1].split("/")[0]
    expect(resident.get_by_test_id("tracking-code")).to_have_text(f"{code[:5]}-{code[5:]}")
    expect(resident.get_by_test_id("stage")).to_have_attribute("data-status", "collected")
    screenshot(resident, "public-track-new-phone")

    case = Case.objects.get(tracking_code=code)
    assert (case.source, case.reporter_id, case.cell.full_code) == ("resident", None, WORKER_CELL)
    (stored,) = Attachment.objects.filter(case=case)
    assert stored.content_type == "image/jpeg" and stored.size < len(photo)  # shrunk on the phone

    # The street office and the department work it; the resident sees each step.
    users = {u.username: u for u in django_user_model.objects.filter(username__startswith="demo_")}
    urban = Department.objects.get(kind=DepartmentKind.URBAN_MANAGEMENT)
    track = f"{live_server.url}/public/track/{code}/"
    services.accept_and_dispatch_case(
        case_id=case.pk, by=users["demo_staff"], department_id=urban.pk
    )
    resident.goto(track)
    expect(resident.get_by_test_id("stage")).to_have_attribute("data-status", "dispatched")
    expect(resident.locator("body")).to_contain_text(urban.name)
    services.start_case(case_id=case.pk, by=users["demo_handler"])
    after = SimpleUploadedFile("after.png", gradient_png(800, 600), content_type="image/png")
    case = services.report_case(
        case_id=case.pk, by=users["demo_handler"], note="已更换新井盖，四周加固。", photos=[after]
    )
    resident.goto(track)
    expect(resident.get_by_test_id("stage")).to_have_attribute("data-status", "feedback")
    expect(resident.get_by_test_id("result-note")).to_have_text("已更换新井盖，四周加固。")
    onsite = SimpleUploadedFile("onsite.png", gradient_png(640, 480), content_type="image/png")
    services.verify_pass(case_id=case.pk, by=case.verifier, note="现场核查合格", photos=[onsite])
    resident.goto(track)
    expect(resident.get_by_test_id("stage")).to_have_attribute("data-status", "closed")
    for name in ("demo_staff", "demo_handler", case.verifier.username):
        expect(resident.locator("body")).not_to_contain_text(name)

    # The resident rates it, once.
    resident.locator("#rate-form input[name=rate-score][value='5']").check()
    resident.fill("[name=rate-comment]", "修得很快，谢谢！")
    resident.locator("#rate-form button").click()
    expect(resident.get_by_test_id("rated")).to_be_visible()
    screenshot(resident, "public-track-closed-phone")
    again = resident.evaluate(
        """async (url) => {
            const body = new FormData();
            const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
            body.append("csrfmiddlewaretoken", token);
            body.append("rate-score", "1");
            return (await fetch(url, { method: "POST", body })).status;
        }""",
        track,
    )
    assert again == 400
    assert Case.objects.get(pk=case.pk).satisfaction.score == 5

    # The rating counts in 满意率: the dashboard shows one rating (too few for a rate).
    admin = sign_in(browser, live_server, "demo_admin", viewport=DESK)
    admin.goto(f"{live_server.url}/dashboard/")
    expect(admin.locator('[data-kpi="satisfaction_rate"] strong')).to_have_text(
        re.compile(r"\(1\)$")
    )
