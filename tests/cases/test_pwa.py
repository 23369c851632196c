"""The installable field app's files: the service worker at the site's root with headers a
browser accepts, naming the worker's pages and data; the manifest with its zh-hans name."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cases.views.pwa import SHELL_FILES

pytestmark = pytest.mark.django_db


def test_the_service_worker_is_served_from_the_root_and_always_revalidated(client: Client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    config = json.loads(body.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert config["pages"] == ["/", "/report/"]
    assert config["data"] == ["/api/v1/categories/", "/api/v1/cells/"]
    assert len(config["shell"]) == len(SHELL_FILES)
    assert "/static/js/offline/outbox.js" in config["shell"]


def test_a_changed_shell_file_changes_the_service_worker(client: Client, monkeypatch):
    before = client.get("/sw.js").content
    monkeypatch.setattr("cases.views.pwa.SHELL_FILES", SHELL_FILES[:-1])
    assert client.get("/sw.js").content != before


def test_the_manifest_names_the_app_in_chinese(client: Client):
    response = client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["lang"] == "zh-hans"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}


def test_field_pages_link_the_manifest_and_the_outbox(client: Client, worker_a, street_staff):
    client.force_login(worker_a)
    page = client.get("/report/").content.decode()
    assert 'rel="manifest"' in page and "js/offline/outbox.js" in page
    assert 'data-outbox="/api/v1/cases/"' in page
    client.force_login(street_staff)
    hotline = client.get("/hotline/").content.decode()
    assert "js/offline/outbox.js" not in hotline and "data-outbox" not in hotline


def test_an_unchanged_service_worker_answers_not_modified(client: Client):
    tag = client.get("/sw.js")["ETag"]
    assert client.get("/sw.js", HTTP_IF_NONE_MATCH=tag).status_code == 304
