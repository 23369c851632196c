"""Errors answer in GridGov's layout and the user's language, with a way home; API paths
answer JSON. Under DEBUG (``make run``) only a signed-in superuser sees Django's technical
pages (tracebacks, the URL list); everyone else gets what production gives."""

from __future__ import annotations

import pytest
from django.test import Client

from grids.models import Role

from ..factories import UserFactory, assigned_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.gridgov.error_urls")]

SECRET = b"secret-detail-in-the-traceback"
TECHNICAL = (b"Traceback", b"URLconf", b"Using the URLconf", b"DEBUG = True", SECRET)


@pytest.fixture
def browser_client() -> Client:
    """A client that gets the 500 page instead of the exception, as a browser would."""
    return Client(raise_request_exception=False)


def branded(response, status: int) -> str:
    """The page's text, checked to be GridGov's error page in its layout with a way home."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f'data-testid="error-page" data-status="{status}"' in html
    assert 'class="topbar"' in html and "/static/css/gridgov.css" in html
    assert 'data-testid="error-home" href="/"' in html
    assert not any(marker in response.content for marker in TECHNICAL)
    return html


def test_a_missing_page(client):
    html = branded(client.get("/no-such-page/"), 404)
    assert "Page not found" in html


def test_a_missing_page_in_the_users_language(client):
    html = branded(client.get("/no-such-page/", headers={"accept-language": "zh-hans"}), 404)
    assert '<html lang="zh-hans">' in html


def test_a_page_for_another_role(client, territory):
    """A grid worker opening the staff queue (the bare "403 Forbidden" of the review)."""
    client.force_login(assigned_user(Role.GRID_WORKER, "cell", territory.cell_a, "worker_a"))
    html = branded(client.get("/queue/"), 403)
    assert "not open to your role" in html
    assert 'href="/report/"' in html  # the worker's own menu is there


def test_a_form_sent_with_a_stale_csrf_token():
    """A phone's sign-in page left open across a sign-out (Django's CSRF refusal)."""
    client = Client(enforce_csrf_checks=True)
    html = branded(client.post("/accounts/login/", {"username": "w", "password": "pw"}), 403)
    assert "Page out of date" in html


def test_a_server_error(browser_client):
    html = branded(browser_client.get("/broken/"), 500)
    assert "Something went wrong on our side" in html


def test_a_server_error_whose_page_breaks_too(browser_client, settings, tmp_path):
    """The 500 page names static files: with no manifest to find them in (a broken
    collectstatic), it cannot render, and a bare 500 answers instead of nothing."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    response = browser_client.get("/broken/")
    assert response.status_code == 500
    assert b"Server Error (500)" in response.content and SECRET not in response.content


def test_a_bad_request(browser_client):
    branded(browser_client.get("/suspicious/"), 400)


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/api/v1/no-such-endpoint/", 404, "Not found."),
        ("/api/v1/broken/", 500, "A server error occurred."),
    ],
)
def test_api_paths_answer_json(browser_client, path, status, detail):
    response = browser_client.get(path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail}


# --- under DEBUG (make run) -----------------------------------------------------------------


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def superuser_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.mark.usefixtures("debug")
class TestUnderDebug:
    def test_an_unknown_path_shows_no_url_list(self, client):
        branded(client.get("/no-such-page/"), 404)

    def test_a_404_raised_by_a_view_shows_no_technical_page(self, client, territory):
        client.force_login(assigned_user(Role.GRID_WORKER, "cell", territory.cell_a, "w"))
        branded(client.get("/cases/999999/"), 404)

    def test_a_server_error_shows_no_traceback(self, browser_client):
        branded(browser_client.get("/broken/"), 500)

    def test_a_signed_in_worker_sees_no_traceback_either(self, browser_client, territory):
        browser_client.force_login(assigned_user(Role.GRID_WORKER, "cell", territory.cell_a, "w"))
        branded(browser_client.get("/broken/"), 500)

    def test_a_bad_request_shows_no_traceback(self, browser_client):
        branded(browser_client.get("/suspicious/"), 400)

    def test_api_paths_answer_json(self, browser_client):
        response = browser_client.get("/api/v1/broken/")
        assert response.status_code == 500
        assert response.json() == {"detail": "A server error occurred."}
        assert browser_client.get("/api/v1/no-such-endpoint/").json() == {"detail": "Not found."}

    def test_a_superuser_keeps_the_technical_pages(self, superuser_client):
        missing = superuser_client.get("/no-such-page/")
        assert missing.status_code == 404 and b"Using the URLconf" in missing.content
        broken = superuser_client.get("/broken/")
        assert broken.status_code == 500 and SECRET in broken.content
