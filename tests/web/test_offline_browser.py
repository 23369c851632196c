"""Field work with no signal (DESIGN §8): the worker's report page keeps working through a real
outage of the web server, the report waits on the phone with its photo, and reaches the
server exactly once when the server is back — also when two phones hold the same queued
report. Runs its own gunicorn (on the test database) so the server can be stopped and
started; pytest-django's live server cannot be."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from cases.models import Attachment, Case, CaseEvent
from cases.services import MAX_DESCRIPTION
from grids.models import GridCell
from idempotency.models import IdempotencyKey

from .conftest import (
    PHONE,
    WORKER_CELL,
    gradient_png,
    phone_gps,
    report_case,
    screenshot,
    sign_in,
)
from .outage import outbox_count, wait_until

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


# A phone's queued item, photos as data: URLs, to hand to another phone (a copy of the same
# report, e.g. restored from a backup of the first phone).
EXPORT = """() => new Promise((resolve) => {
  const open = indexedDB.open("gridgov-outbox", 1);
  open.onsuccess = () => {
    const all = open.result.transaction("items").objectStore("items").getAll();
    all.onsuccess = async () => resolve(await Promise.all(all.result.map(async (item) => ({
      ...item,
      photos: await Promise.all(item.photos.map((p) => new Promise((done) => {
        const reader = new FileReader();
        reader.onload = () => done({ ...p, blob: reader.result });
        reader.readAsDataURL(p.blob);
      }))),
    }))));
  };
})"""
IMPORT = """(items) => Promise.resolve(items.map((item) => {
  item.photos = item.photos.map((p) => {
    const bytes = Uint8Array.from(atob(p.blob.split(",")[1]), (c) => c.charCodeAt(0));
    return { ...p, blob: new Blob([bytes], { type: p.type }) };
  });
  return item;
})).then((items) => new Promise((resolve) => {
  const open = indexedDB.open("gridgov-outbox", 1);
  open.onsuccess = () => {
    const tx = open.result.transaction("items", "readwrite");
    items.forEach((item) => tx.objectStore("items").put(item));
    tx.oncomplete = () => resolve(items.length);
  };
}))"""


def open_report_page(browser, server, gps):
    """A phone signed in as the demo worker, on /report/, controlled by the service worker."""
    phone = sign_in(browser, server, "demo_worker", viewport=PHONE, **gps)
    phone.goto(f"{server.url}/report/")
    wait_until(phone, "() => !!navigator.serviceWorker.controller")
    return phone


def test_a_report_made_during_an_outage_arrives_once_with_its_photo(browser, server, demo_site):
    gps = phone_gps(*demo_site[WORKER_CELL])
    cell = GridCell.objects.get(full_code=WORKER_CELL)
    phone = open_report_page(browser, server, gps)
    other_phone = open_report_page(browser, server, gps)

    server.stop()  # a real outage: connections are refused
    phone.reload()
    expect(phone.locator("#report-form")).to_be_visible()
    expect(phone.locator("#gps-status")).to_contain_text(cell.name)  # cells kept on the phone
    phone.locator("#favourites .chip").first.click()
    phone.fill("[name=description]", "小区南门路灯不亮")
    phone.set_input_files(
        "input[name=photos]",
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": gradient_png(800, 600)}],
    )
    expect(phone.locator("#photo-preview img")).to_have_count(1)
    phone.locator("#send-report").click()

    box = phone.locator("#outbox")
    expect(box).to_be_visible()
    expect(box.locator("h2")).to_contain_text("(1)")
    expect(box.get_by_test_id("outbox-state")).to_have_count(1)
    expect(phone.locator("#outbox-badge")).to_contain_text("(1)")
    screenshot(phone, "offline-outbox-waiting")
    assert outbox_count(phone) == 1

    # The same queued report on a second phone (same worker, same Idempotency-Key).
    other_phone.reload()
    assert other_phone.evaluate(IMPORT, phone.evaluate(EXPORT)) == 1
    assert not Case.objects.exists()

    phone.goto(f"{server.url}/")  # the worker's home opens too, and counts what waits
    expect(phone.locator("#outbox-badge")).to_contain_text("(1)")
    expect(phone.locator("#report-form")).to_have_count(0)

    server.start()  # nobody taps anything: the phones retry by themselves
    other_phone.reload()  # its retry, on page load, races the first phone's retries
    wait_until(phone, "() => document.querySelector('#outbox-badge').hidden")
    wait_until(other_phone, "() => document.querySelector('#outbox').hidden")

    case = Case.objects.get()
    assert (case.description, case.cell.full_code, case.source) == (
        "小区南门路灯不亮",
        WORKER_CELL,
        "patrol",
    )
    assert Attachment.objects.filter(case=case).count() == 1
    assert IdempotencyKey.objects.get().target_id == case.pk
    assert outbox_count(phone) == outbox_count(other_phone) == 0
    other_phone.goto(f"{server.url}/report/")
    assert outbox_count(other_phone) == 0
    expect(other_phone.locator("#outbox-badge")).to_be_hidden()


def test_a_refused_report_stays_with_the_reason_and_its_photo(browser, live_server, demo_site):
    """An open case of the category nearby is offered first; then the server refuses (400):
    the report stays on the phone with the reason, comes back into the form with its photo,
    and goes through once corrected."""
    earlier = report_case(demo_site, WORKER_CELL, "demo_volunteer")
    phone = sign_in(
        browser, live_server, "demo_worker", viewport=PHONE, **phone_gps(*demo_site[WORKER_CELL])
    )
    phone.goto(f"{live_server.url}/report/")
    cell = GridCell.objects.get(full_code=WORKER_CELL)
    expect(phone.locator("#gps-status")).to_contain_text(cell.name)
    phone.select_option("#id_category", "C0101")
    # Already reported here by the volunteer: offered before a duplicate is filed.
    expect(phone.locator("#nearby")).to_contain_text(earlier.number)
    phone.fill("[name=description]", "井" * (MAX_DESCRIPTION + 1))
    phone.set_input_files(
        "input[name=photos]",
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": gradient_png(400, 300)}],
    )
    expect(phone.locator("#photo-preview img")).to_have_count(1)
    phone.locator("#send-report").click()

    refused = phone.locator(".outbox-item.refused")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text(str(MAX_DESCRIPTION))
    screenshot(phone, "offline-outbox-refused")
    assert Case.objects.count() == 1

    refused.locator("[data-act=correct]").click()
    expect(phone.locator("#report-form .refusal")).to_contain_text(str(MAX_DESCRIPTION))
    expect(phone.locator("#photo-preview img")).to_have_count(1)  # the photo came back
    phone.fill("[name=description]", "小区南门路灯不亮")
    phone.locator("#send-report").click()
    phone.wait_for_url(f"{live_server.url}/cases/*/")
    case = Case.objects.exclude(pk=earlier.pk).get()
    assert case.description == "小区南门路灯不亮"
    assert Attachment.objects.filter(case=case).count() == 1
    assert outbox_count(phone) == 0


def test_already_reported_nearby_the_worker_adds_to_it(browser, live_server, demo_site):
    """“Already reported? add to it”: the worker's note and photo go to the open case on the
    timeline (through the outbox), not into a duplicate; its reporter stays."""
    earlier = report_case(demo_site, WORKER_CELL, "demo_volunteer")
    phone = sign_in(
        browser, live_server, "demo_worker", viewport=PHONE, **phone_gps(*demo_site[WORKER_CELL])
    )
    phone.goto(f"{live_server.url}/report/")
    phone.select_option("#id_category", "C0101")
    nearby = phone.locator("#nearby")
    expect(nearby).to_contain_text(earlier.number)
    nearby.get_by_test_id("add-to").first.click()
    expect(phone.get_by_test_id("adding-to")).to_contain_text(earlier.number)
    phone.fill("[name=description]", "东侧路灯也不亮")
    phone.set_input_files(
        "input[name=photos]",
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": gradient_png(400, 300)}],
    )
    expect(phone.locator("#photo-preview img")).to_have_count(1)
    screenshot(phone, "report-add-to-existing")
    phone.locator("#send-report").click()
    phone.wait_for_url(f"{live_server.url}/cases/{earlier.pk}/")
    expect(phone.get_by_test_id("timeline-step").last).to_contain_text("东侧路灯也不亮")

    assert Case.objects.get().reporter.username == "demo_volunteer"
    event = CaseEvent.objects.get(case=earlier, action="supplement")
    assert event.actor.username == "demo_worker"
    assert Attachment.objects.filter(event=event).count() == 1
    assert outbox_count(phone) == 0


def test_background_sync_sends_the_outbox_with_no_gridgov_page_open(browser, server, demo_site):
    """Where the browser has Background Sync (Chromium), the service worker sends what waits
    when the signal returns, even when the worker has left GridGov. The browser decides when
    a sync fires; DevTools' ``ServiceWorker.dispatchSyncEvent`` fires it now."""
    phone = open_report_page(browser, server, phone_gps(*demo_site[WORKER_CELL]))
    server.stop()
    phone.reload()
    phone.locator("#favourites .chip").first.click()
    phone.fill("[name=description]", "小区北门路灯不亮")
    phone.set_input_files(
        "input[name=photos]",
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": gradient_png(400, 300)}],
    )
    expect(phone.locator("#photo-preview img")).to_have_count(1)
    phone.locator("#send-report").click()
    expect(phone.locator(".outbox-item.waiting")).to_have_count(1)
    # The worker closes GridGov while the page is sending: its claim on the item stays behind,
    # as when the tab goes mid-send (a race the test would otherwise leave to timing).
    phone.evaluate(
        """() => GridGovStore.all(
                JSON.parse(document.getElementById("gridgov-outbox").textContent).user)
            .then(([item]) => GridGovStore.put({ ...item, state: "sending",
                claim: { by: "page-closed", until: Date.now() + 120000 } }))"""
    )
    phone.goto("about:blank")  # no GridGov page is open any more
    server.start()
    devtools = phone.context.new_cdp_session(phone)
    registrations: list[dict] = []
    devtools.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    devtools.send("ServiceWorker.enable")
    deadline = time.monotonic() + 30
    while not any(r["scopeURL"].startswith(server.url) for r in registrations):
        assert time.monotonic() < deadline, "no service worker registration"
        phone.wait_for_timeout(200)
    registration = next(r for r in registrations if r["scopeURL"].startswith(server.url))
    # As the browser does, a sync that did not get through is fired again (a busy machine can
    # leave the first one to a worker still waking up); each is a real sync event.
    deadline = time.monotonic() + 90
    while not Case.objects.exists():
        assert time.monotonic() < deadline, "the service worker sent nothing"
        devtools.send(
            "ServiceWorker.dispatchSyncEvent",
            {
                "origin": server.url,
                "registrationId": registration["registrationId"],
                "tag": "gridgov-outbox",
                "lastChance": False,
            },
        )
        retry_at = time.monotonic() + 15
        while not Case.objects.exists() and time.monotonic() < retry_at:
            time.sleep(0.5)
    case = Case.objects.get()
    assert case.description == "小区北门路灯不亮" and case.reporter.username == "demo_worker"
    assert Attachment.objects.filter(case=case).count() == 1
    phone.goto(f"{server.url}/report/")
    wait_until(phone, "() => document.querySelector('#outbox').hidden")
    assert outbox_count(phone) == 0 and Case.objects.count() == 1
