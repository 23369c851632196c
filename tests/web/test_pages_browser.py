"""What users notice in the browser besides the loop: refusals say why, the language
switch, and scope (another street's case is a 404)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from grids.models import GridCell
from workflows.services import accept_case, reject_case

from .conftest import (
    DESK,
    OTHER_STREET_CELL,
    PHONE,
    WORKER_CELL,
    new_page,
    report_case,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
User = get_user_model()


def test_a_refused_action_shows_why(browser, live_server, demo_site):
    case = report_case(demo_site, WORKER_CELL, "demo_worker")
    staff = sign_in(browser, live_server, "demo_staff", viewport=DESK)
    staff.goto(f"{live_server.url}/cases/{case.pk}/")

    # A reason is required to reject: the field error is shown in place (400).
    reject = staff.locator("details[data-action=reject]")
    reject.locator("summary").click()
    reject.locator("[name=reason]").evaluate("el => el.removeAttribute('required')")
    reject.get_by_test_id("do-reject").click()
    expect(staff.get_by_test_id("errors")).to_be_visible()
    expect(staff.get_by_test_id("case-status")).to_have_attribute("data-status", "collected")

    # Meanwhile a colleague rejects it; accepting from the stale page is refused with the
    # state and what is allowed now (409), and the page shows the case as it now is.
    reject_case(case_id=case.pk, by=User.objects.get(username="demo_staff"), reason="重复上报")
    staff.locator("details[data-action=accept]").get_by_test_id("do-accept").click()
    refusal = staff.get_by_test_id("refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("不予立案")  # the current state, in the user's language
    expect(staff.get_by_test_id("case-status")).to_have_attribute("data-status", "rejected")
    screenshot(staff, "case-page-refusal")


def test_language_switch(browser, live_server, demo_site):
    worker = sign_in(browser, live_server, "demo_worker", viewport=PHONE)
    expect(worker.locator("h2#map-h")).to_contain_text("我的网格")
    worker.get_by_role("button", name="English").click()
    expect(worker.locator("h2#map-h")).to_contain_text("Your cells")
    expect(worker.locator("html")).to_have_attribute("lang", "en")
    worker.get_by_role("button", name="中文").click()
    expect(worker.locator("h2#map-h")).to_contain_text("我的网格")


def test_a_worker_cannot_open_another_streets_case(browser, live_server, demo_site):
    other = report_case(demo_site, OTHER_STREET_CELL, "worker_" + OTHER_STREET_CELL)
    worker = sign_in(browser, live_server, "demo_worker", viewport=PHONE)
    response = worker.goto(f"{live_server.url}/cases/{other.pk}/")
    assert response.status == 404
    expect(worker.locator("body")).not_to_contain_text(other.title)
    response = worker.goto(f"{live_server.url}/cases/{other.pk}/photos/1/")
    assert response.status == 404


def test_error_pages_are_in_the_site_layout_and_language(browser, live_server, demo_site):
    """A missing page, and a worker opening the staff queue: GridGov's page in Chinese with a
    way home, not a bare "403 Forbidden" (and under the CSP, with no console error)."""
    anonymous = new_page(browser, "anonymous", viewport=PHONE)
    response = anonymous.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    expect(anonymous.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(anonymous.get_by_test_id("error-page")).to_have_attribute("data-status", "404")
    expect(anonymous.locator("header.topbar")).to_be_visible()
    worker = sign_in(browser, live_server, "demo_worker", viewport=PHONE)
    response = worker.goto(f"{live_server.url}/queue/")
    assert response.status == 403
    expect(worker.get_by_test_id("error-page")).to_have_attribute("data-status", "403")
    screenshot(worker, "error-403-phone")
    worker.get_by_test_id("error-home").click()
    expect(worker.locator("h2#map-h")).to_be_visible()  # back on their own start page


def test_dashboard_shows_indicators_and_drills_down(browser, live_server, demo_site):
    staff = User.objects.get(username="demo_staff")
    for _ in range(3):  # 立案: reported and accepted
        accept_case(case_id=report_case(demo_site, WORKER_CELL, "demo_worker").pk, by=staff)
    admin = sign_in(browser, live_server, "demo_admin", viewport=DESK)
    admin.goto(f"{live_server.url}/dashboard/")
    expect(admin.locator('[data-kpi="filed"] strong')).to_have_text("3")
    # The trend chart's tooltip opens under the Content-Security-Policy as well.
    expect(admin.locator("#trend canvas")).to_be_visible()
    admin.locator("#trend").hover()
    admin.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
    rows = admin.get_by_test_id("ranking-row")
    expect(rows).to_have_count(2)  # the demo district's two streets
    screenshot(admin, "dashboard")
    # Communities of street 1 rank with their grades; a name opens the cases it counts.
    admin.locator("#levels [data-level=community]").click()
    expect(rows).to_have_count(4)
    # Every rate shows its numerator and denominator on hover, and "—" with too few cases.
    closing = admin.locator('[data-kpi="closing_rate"]')
    expect(closing.locator("strong")).to_have_text("—")
    expect(closing).to_have_attribute("title", "0 / 0")
    expect(admin.locator('[data-kpi="backlog"] strong')).to_have_text("3")
    admin.get_by_test_id("ranking-row").filter(has_text="光华社区").locator("a").first.click()
    admin.wait_for_url("**/dashboard/cases/?*figure=filed*")
    expect(admin.get_by_test_id("figure-case")).to_have_count(3)
    # An invalid period clears the figures and says why.
    admin.go_back()
    expect(admin.locator('[data-kpi="filed"] strong')).to_have_text("3")
    admin.locator("#period [name=start]").fill("2026-05-02")
    admin.locator("#period [name=end]").fill("2026-05-01")
    admin.locator("#period button").click()
    expect(admin.locator("#period-error")).not_to_be_empty()
    expect(admin.locator('[data-kpi="filed"] strong')).to_have_text("—")
    expect(admin.locator('[data-kpi="filed"]')).not_to_have_attribute("href", re.compile("."))
    expect(admin.get_by_test_id("ranking-row")).to_have_count(0)
    # The map colours every cell from its compact figures; a cell opens the cases filed in it.
    cell = next(c for c in GridCell.objects.all() if c.full_code == WORKER_CELL)
    admin.goto(f"{live_server.url}/dashboard/")
    polygon = admin.locator(f'path[data-cell="{cell.pk}"]')
    expect(polygon).to_have_attribute("fill", re.compile("^#|^hsl"))
    polygon.click()
    admin.wait_for_url(f"**/dashboard/cases/?*unit={cell.pk}*figure=filed*")
    expect(admin.get_by_test_id("figure-case")).to_have_count(3)


def test_the_queue_brings_the_next_reports_without_a_reload(browser, live_server, demo_site):
    cases = [report_case(demo_site, WORKER_CELL, "demo_worker") for _ in range(51)]
    staff = sign_in(browser, live_server, "demo_staff", viewport=DESK)  # lands on the queue
    expect(staff.get_by_test_id("queue-item")).to_have_count(50)
    expect(staff.get_by_test_id("queue-more")).to_contain_text("51")  # how many wait
    # The first 50 are dealt with (here by a colleague, as the page would do one by one).
    colleague = User.objects.get(username="demo_staff")
    shown = staff.get_by_test_id("queue-item").evaluate_all("items => items.map(i => i.id)")
    for case in cases:
        if f"case-{case.pk}" in shown:
            reject_case(case_id=case.pk, by=colleague, reason="重复上报")
    staff.get_by_test_id("queue-more").scroll_into_view_if_needed()
    screenshot(staff, "queue-more")
    staff.evaluate("window.__stillHere = true")  # gone if the page were reloaded
    staff.get_by_test_id("queue-more").get_by_role("button").click()
    expect(staff.get_by_test_id("queue-item")).to_have_count(1)
    (last,) = [c for c in cases if f"case-{c.pk}" not in shown]
    item = staff.get_by_test_id("queue-item")
    expect(item).to_have_attribute("id", f"case-{last.pk}")
    expect(item).to_have_class(re.compile(r"\bfocused\b"))  # ready for the keyboard
    expect(staff.get_by_test_id("queue-more")).to_have_count(0)
    assert staff.evaluate("window.__stillHere") is True
