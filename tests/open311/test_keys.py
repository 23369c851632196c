"""API keys of Open311 clients: issued once (printed or shown), stored only as a hash,
replaced by re-issuing; the demo's documented key works after ``seed_demo``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from cases.models import Case
from open311.demo import DEMO_KEY, create_demo_client
from open311.models import Open311Client, hash_key

from ..cases.personas import POINT_A
from .conftest import as_json, error_list, post

pytestmark = pytest.mark.django_db


def _post(key: str):
    return post(
        api_key=key,
        service_code="C0101",
        lat=POINT_A[1],
        long=POINT_A[0],
        description="路灯不亮",
    )


def test_the_command_prints_a_new_key_once_and_stores_only_its_hash(cast):
    out = StringIO()
    call_command("open311_client", "城市App", "--contact", "ops@example.cn", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    client = Open311Client.objects.get(name="城市App")
    assert client.key_hash == hash_key(key) and key not in client.key_hash
    assert client.contact == "ops@example.cn"
    assert _post(key).status_code == 200
    call_command("open311_client", "城市App", stdout=(again := StringIO()))
    new = again.getvalue().strip().splitlines()[-1]
    assert new != key and Open311Client.objects.count() == 1
    assert error_list(_post(key), 403) == ["This api_key is not valid."]  # the old one retired
    assert _post(new).status_code == 200


def test_the_demo_client_has_the_documented_key(cast):
    create_demo_client()
    (item,) = as_json(_post(DEMO_KEY))
    assert Case.objects.get(number=item["service_request_id"]).source == "open311"


def test_the_admin_shows_a_new_clients_key_once(cast, admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/admin/open311/open311client/add/",
        {"name": "Hotline bridge", "contact": "12345", "active": "on", "services": []},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    (message,) = [m for m in shown if "shown only now" in m]
    key = message.rsplit(": ", 1)[1]
    assert Open311Client.objects.get(name="Hotline bridge").key_hash == hash_key(key)
    assert _post(key).status_code == 200
    listing = client.get("/admin/open311/open311client/").content.decode()
    assert "Hotline bridge" in listing and key not in listing
