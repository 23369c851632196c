"""Open311's tests: the case personas, a demo client with a known key, clean rate limits."""

from __future__ import annotations

import json

import pytest
from defusedxml import ElementTree
from django.core.cache import cache
from django.test import Client

from open311.services import issue_key

from ..cases.personas import (  # noqa: F401  (fixtures are found by name)
    _media_in_tmp,
    _no_cross_check,
    cast,
    staff2,
    worker_a2,
)

KEY = "test-open311-key"
V2 = "/open311/v2/"
# GeoReport v2's fields (http://wiki.open311.org/GeoReport_v2).
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def app_client(db):
    """An Open311 client (an app) holding ``KEY``."""
    client, _key = issue_key(name="Test app", key=KEY)
    return client


def get(path: str, **params):
    return Client().get(V2 + path, params)


def post(path: str = "requests.json", **data):
    return Client().post(V2 + path, data)


def xml(response):
    """The response's XML document (parsed as untrusted input is: with defusedxml)."""
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    return ElementTree.fromstring(response.content)


def as_json(response):
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def error_list(response, status: int) -> list[str]:
    """The descriptions of a GeoReport error answer, checked in both formats' shapes."""
    assert response.status_code == status, response.content[:500]
    if response["Content-Type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        items = [(int(e.findtext("code")), e.findtext("description")) for e in root]
        assert all(child.tag == "error" for child in root)
    else:
        items = [(e["code"], e["description"]) for e in as_json(response)]
    assert items and all(code == status for code, _ in items)
    return [text for _, text in items]
