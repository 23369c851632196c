"""Visits and verifications with no signal (DESIGN §8 "Field work"): through a real outage of
the web server, a household visit made on the worker's task list and a verification made on
the case page wait on the phone (photo included) and reach the server exactly once when it
is back, with nobody tapping anything."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from cases.models import Attachment, Case, CaseEvent
from grids.models import Department, DepartmentKind, GridCell
from idempotency.models import IdempotencyKey
from residents.models import Tag, Visit
from workflows import services

from ..factories import ResidentFactory
from .conftest import PHONE, WORKER_CELL, gradient_png, phone_gps, report_case, screenshot, sign_in
from .outage import outbox_count, wait_until

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]
# The page retries with backoff (5 s doubling): a retry comes within a minute of the restart.
BACK = 120_000


def on_phone(browser, server, username: str, path: str, gps):
    """A phone signed in as ``username`` on ``path``, controlled by the service worker."""
    phone = sign_in(browser, server, username, viewport=PHONE, **gps)
    phone.goto(f"{server.url}{path}")
    wait_until(phone, "() => !!navigator.serviceWorker.controller")
    return phone


def test_a_visit_made_during_an_outage_arrives_once_with_its_photo(browser, server, demo_site):
    cell = GridCell.objects.get(full_code=WORKER_CELL)
    household = ResidentFactory(household__cell=cell).household
    household.residents.first().tags.add(Tag.objects.get(code="elderly_alone"))
    phone = on_phone(browser, server, "demo_worker", "/", phone_gps(*demo_site[WORKER_CELL]))

    server.stop()  # a real outage: connections are refused
    phone.reload()  # the task list kept on the phone
    row = phone.locator(f"#household-{household.pk}")
    expect(row.locator(".gps-state")).to_contain_text("±8 m")
    row.locator(".quick-phrase").first.click()
    row.locator("input[name=photo]").set_input_files(
        files=[{"name": "door.png", "mimeType": "image/png", "buffer": gradient_png(640, 480)}]
    )
    row.get_by_test_id("visited").click()
    box = phone.locator("#outbox")
    expect(box.locator("h2")).to_contain_text("(1)")
    expect(box.get_by_test_id("outbox-state")).to_have_count(1)
    screenshot(phone, "offline-visit-waiting")
    assert outbox_count(phone) == 1
    assert not Visit.objects.exists()

    server.start()  # nobody taps anything
    expect(phone.get_by_test_id("visit-done")).to_contain_text("GPS ±8 m", timeout=BACK)
    expect(box).to_be_hidden()
    visit = Visit.objects.get()
    assert (visit.household, visit.worker.username) == (household, "demo_worker")
    assert visit.note and visit.fix_cell == cell and visit.photo
    assert IdempotencyKey.objects.get().target == "residents.visit"
    assert outbox_count(phone) == 0
    expect(phone.get_by_test_id("visit-done").get_by_test_id("undo")).to_be_visible()


def test_a_verification_queued_offline_arrives_once(browser, server, demo_site, settings):
    settings.CROSS_CHECK_SHARE = 0  # the reporter's own cell verifies
    settings.MEDIA_ROOT = server.env["MEDIA_ROOT"]  # the handler's photo, where the server looks
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="demo_")}
    case = report_case(demo_site, WORKER_CELL, "demo_worker")
    urban = Department.objects.get(kind=DepartmentKind.URBAN_MANAGEMENT)
    services.accept_and_dispatch_case(
        case_id=case.pk, by=users["demo_staff"], department_id=urban.pk
    )
    services.start_case(case_id=case.pk, by=users["demo_handler"])
    after = SimpleUploadedFile("after.png", gradient_png(320, 240), content_type="image/png")
    case = services.report_case(
        case_id=case.pk, by=users["demo_handler"], note="已修复", photos=[after]
    )
    verifier = case.verifier.username
    phone = on_phone(
        browser, server, verifier, f"/cases/{case.pk}/", phone_gps(*demo_site[WORKER_CELL])
    )

    server.stop()  # the verifier walks into the basement
    form = phone.locator("details[data-action=verify_pass]")
    form.locator("[name=note]").fill("现场核查，灯已亮。")
    form.locator("[name=photos]").set_input_files(
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": gradient_png(640, 480)}]
    )
    form.get_by_test_id("do-verify_pass").click()
    expect(phone.locator("#outbox h2")).to_contain_text("(1)")
    screenshot(phone, "offline-verification-waiting")
    assert outbox_count(phone) == 1
    assert Case.objects.get(pk=case.pk).status == "feedback"

    server.start()
    expect(phone.get_by_test_id("case-status")).to_have_attribute(
        "data-status", "closed", timeout=BACK
    )
    assert CaseEvent.objects.filter(case=case, action="verify_pass").count() == 1
    assert Attachment.objects.filter(case=case, event__action="verify_pass").count() == 1
    assert IdempotencyKey.objects.get().target_id == case.pk
    assert outbox_count(phone) == 0
