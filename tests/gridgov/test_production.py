"""Production as an operator runs it: ``GRIDGOV_ENV=production`` (DEBUG off, real keys),
``collectstatic``, gunicorn. Every demo persona signs in and gets 200 on their pages, and every
static file those pages name is served (a missing manifest entry makes every page a 500).

Runs on the configured database server (a database of its own beside the test database) and
never touches the configured broker: the processes here use kombu's in-memory transport, so
the demo seed's notices cannot reach a test worker.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import environ
import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "gridgov-demo"
# Each demo persona's own pages (and what everyone has).
PERSONA_PAGES = {
    "demo_worker": ["/", "/report/", "/inbox/", "/cases/"],
    "demo_worker2": ["/"],
    "demo_volunteer": ["/", "/report/"],
    "demo_staff": ["/queue/", "/queue/?tab=approvals", "/dashboard/", "/integrity/", "/cases/"],
    "demo_handler": ["/department/", "/inbox/"],
    "demo_admin": ["/dashboard/", "/cases/", "/admin/", "/api/docs/"],
}
ASSET = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A database of this test's own: on PostgreSQL ``<name>_prodsmoke`` (made afresh),
    else an SQLite file."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path_factory.mktemp('prod') / 'prod.sqlite3'}"
        return
    import psycopg2

    config = environ.Env.db_url_config(configured)
    name = f"{config['NAME']}_prodsmoke"
    admin = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"],
        port=config["PORT"] or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield configured.rsplit("/", 1)[0] + f"/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def production(database_url, tmp_path_factory):
    """Migrate, seed the small demo, collect static files and serve with gunicorn, all under
    production settings; yields the port."""
    static_root = tmp_path_factory.mktemp("static")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_")) and k not in {"DEBUG"}
    }
    env.update(
        GRIDGOV_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        PII_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        PII_HASH_KEY=secrets.token_urlsafe(32),
        DATABASE_URL=database_url,
        STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        CELERY_BROKER_URL="memory://",
        CELERY_RESULT_BACKEND="cache+memory://",
        ALLOWED_HOSTS="127.0.0.1",
        TLS_AT_PROXY="true",  # TLS ends at a reverse proxy that sets X-Forwarded-Proto
    )

    def manage(*args: str) -> None:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"

    manage("migrate", "--noinput")
    manage("seed_demo", "--scale", "small")
    manage("collectstatic", "--noinput")
    assert (static_root / "staticfiles.json").exists()

    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "gridgov.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _get(port, "/healthz").status in (200, 503):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("gunicorn did not answer within 30 s")
        yield port
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
        print(output[-5000:])


class Response:
    def __init__(self, raw: http.client.HTTPResponse) -> None:
        self.status = raw.status
        self.headers = raw.headers
        self.body = raw.read()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def _get(port: int, path: str, *, cookies: dict | None = None, **kw) -> Response:
    return _request(port, "GET", path, cookies=cookies, **kw)


def _request(
    port, method, path, *, cookies=None, body=None, headers=None, via_proxy=True
) -> Response:
    """A request as the TLS-terminating proxy forwards it (``via_proxy``), else one straight
    over plain HTTP, as a container health check sends it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    all_headers = {
        "Host": f"127.0.0.1:{port}",
        "Accept-Encoding": "identity",
        **(headers or {}),
    }
    if via_proxy:
        all_headers["X-Forwarded-Proto"] = "https"
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        connection.request(method, path, body=body, headers=all_headers)
        return Response(connection.getresponse())
    finally:
        connection.close()


def _keep_cookies(response: Response, cookies: dict) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]


def _sign_in(port: int, username: str) -> dict:
    cookies: dict = {}
    page = _get(port, "/accounts/login/")
    assert page.status == 200, page.text[:500]
    _keep_cookies(page, cookies)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = _request(
        port,
        "POST",
        "/accounts/login/",
        cookies=cookies,
        body=urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://127.0.0.1:{port}",
            "Referer": f"https://127.0.0.1:{port}/accounts/login/",
        },
    )
    assert response.status == 302, f"{username} could not sign in: {response.text[:500]}"
    _keep_cookies(response, cookies)
    assert "sessionid" in cookies
    return cookies


def test_debug_is_off_and_a_missing_page_is_a_plain_404(production):
    response = _get(production, "/no-such-page/")
    assert response.status == 404
    assert "Traceback" not in response.text and "URLconf" not in response.text
    assert 'data-testid="error-page"' in response.text  # GridGov's page, in its layout


def test_a_missing_api_endpoint_answers_json(production):
    response = _get(production, "/api/v1/no-such-endpoint/")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"


def test_plain_http_is_sent_to_https_except_the_health_check(production):
    page = _get(production, "/accounts/login/", via_proxy=False)
    assert page.status == 301
    assert page.headers["Location"] == f"https://127.0.0.1:{production}/accounts/login/"
    assert _get(production, "/healthz", via_proxy=False).status in (200, 503)


def test_https_answers_carry_hsts_and_the_content_security_policy(production):
    response = _get(production, "/accounts/login/")
    assert response.status == 200
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("username", sorted(PERSONA_PAGES))
def test_each_persona_gets_their_pages_and_static_files(production, username):
    cookies = _sign_in(production, username)
    assets: set[str] = set()
    for path in PERSONA_PAGES[username]:
        response = _get(production, path, cookies=cookies)
        assert response.status == 200, f"{username} {path}: {response.status}"
        assert "Content-Security-Policy" in response.headers, path
        assets.update(ASSET.findall(response.text))
    assert assets, "the pages name no static files"
    for asset in sorted(assets):
        assert re.search(r"\.[0-9a-f]{12}\.", asset), f"{asset} is not a hashed manifest name"
        response = _get(production, asset)
        assert response.status == 200, f"{asset}: {response.status}"
        assert response.body, asset


def test_the_field_apps_service_worker_names_files_production_serves(production):
    """The service worker precaches the shell by its hashed names: one missing from the
    manifest would fail its install on every phone."""
    import json

    response = _get(production, "/sw.js")
    assert response.status == 200
    assert response.headers["Service-Worker-Allowed"] == "/"
    config = json.loads(response.text.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    manifest = json.loads(_get(production, "/manifest.webmanifest").body)
    files = config["shell"] + [icon["src"] for icon in manifest["icons"]]
    for url in files:
        assert re.search(r"\.[0-9a-f]{12}\.", url), f"{url} is not a hashed manifest name"
        assert _get(production, url).status == 200, url
