"""The Content-Security-Policy in real Chromium: an inline script is refused (and a test that
met one would fail), and the pages not walked by the other browser tests — the case list,
inbox, integrity review, API docs and every admin page — run under it without a violation.
Every test here also fails on any console error (``no_browser_errors`` in conftest)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from playwright.sync_api import expect

from .conftest import WORKER_CELL, new_page, report_case, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_inline_script_is_refused_and_reported(browser, live_server, no_browser_errors):
    page = new_page(browser, "anonymous")
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_console_message(lambda m: m.text.startswith("CSP violation")):
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.injected = true";
              document.body.append(script);
            }"""
        )
    assert page.evaluate("window.injected") is None  # it never ran
    assert any("script-src" in problem for problem in no_browser_errors)
    no_browser_errors.clear()  # seen: this test's one expected violation


def test_staff_pages_and_api_docs_run_under_the_policy(browser, live_server, demo_site):
    report_case(demo_site, WORKER_CELL, "demo_worker")
    staff = sign_in(browser, live_server, "demo_staff")
    for path in ("/cases/", "/inbox/", "/integrity/", "/api/v1/cases/", "/api/docs/"):
        assert staff.goto(f"{live_server.url}{path}").status == 200, path
    staff.locator("details summary").first.click()  # an operation of the API opens
    expect(staff.locator("details[open]").first).to_be_visible()


def _admin_pages(username: str) -> list[str]:
    """Each registered model's list, and its first object's form (else the add form, if
    the user may add)."""
    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username=username)
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append(reverse(f"{name}_changelist"))
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            pages.append(reverse(f"{name}_change", args=[first]))
        elif model_admin.has_add_permission(request):
            pages.append(reverse(f"{name}_add"))
    return pages


def test_every_admin_page_runs_under_the_policy(browser, live_server, demo_site):
    report_case(demo_site, WORKER_CELL, "demo_worker")  # so the case admin has a form
    page = sign_in(browser, live_server, "demo_admin")
    for path in _admin_pages("demo_admin"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
    # django-celery-beat's schedule form says the chosen crontab in words (its script).
    task = PeriodicTask.objects.filter(crontab__isnull=False).first()
    form = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    page.goto(f"{live_server.url}{form}")
    page.locator("#id_crontab").dispatch_event("change")
    expect(page.locator(".field-crontab .help br")).to_have_count(1)  # help, then the words
