"""Every page carries a Content-Security-Policy that runs only GridGov's own files: no inline
script, no inline style element, no foreign origin, never framed. That the pages work under it
(no violation in the console) is shown in real Chromium by tests/web."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, set[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: set(sources) for name, *sources in directives}


def test_pages_run_only_their_own_scripts_and_styles(client):
    directives = policy(client.get("/accounts/login/"))
    assert directives["default-src"] == {"'self'"}
    assert directives["script-src"] == {"'self'"}  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["style-src"] == {"'self'"}
    # Photo previews before upload are blob: URLs; the favicon placeholder is a data: URL.
    assert directives["img-src"] == {"'self'", "data:", "blob:"}
    assert directives["object-src"] == {"'none'"}
    assert directives["base-uri"] == {"'none'"}
    assert directives["frame-ancestors"] == {"'none'"}
    assert directives["form-action"] == {"'self'"}


@pytest.mark.parametrize("path", ["/api/docs/", "/no-such-page/", "/api/v1/me/"])
def test_every_answer_carries_the_policy(client, path):
    """The API docs page, an error page and an API answer alike."""
    assert "'self'" in policy(client.get(path))["default-src"]


def test_only_the_browsable_api_may_style_inline(client, django_user_model):
    """DRF's browsable API pages (its own templates) carry style attributes and a <style>
    block: there, and only there, inline styles are allowed; scripts stay GridGov's own."""
    client.force_login(django_user_model.objects.create_user("u", password="pw-for-tests"))
    page = client.get("/api/v1/me/", headers={"accept": "text/html"})
    assert page["Content-Type"].startswith("text/html")
    assert policy(page)["style-src"] == {"'self'", "'unsafe-inline'"}
    assert policy(page)["script-src"] == {"'self'"}
    as_json = client.get("/api/v1/me/", headers={"accept": "application/json"})
    assert policy(as_json)["style-src"] == {"'self'"}
