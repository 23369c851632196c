"""The anonymous reads of Open311 GeoReport v2, in JSON and XML, against the spec's shapes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Case
from cases.services import create_case, set_photo_public

from ..cases.personas import POINT_A, act, case_in, new_case, photo
from .conftest import REQUEST_FIELDS, SERVICE_FIELDS, as_json, error_list, get, xml

pytestmark = pytest.mark.django_db


def test_discovery_names_the_v2_endpoint_and_both_formats(cast):
    data = as_json(get("discovery.json"))
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml(get("discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == endpoint["formats"]
    assert root.findtext("endpoints/endpoint/url") == endpoint["url"]
    assert as_json(Client().get("/open311/v2/")) == data  # the endpoint's own address


def test_services_are_the_public_categories_in_both_formats(cast):
    services = as_json(get("services.json"))
    codes = {s["service_code"] for s in services}
    assert "C0101" in codes and "S0101" not in codes  # 独居老人关爱 is about a person
    assert all(set(s) == SERVICE_FIELDS for s in services)
    manhole = next(s for s in services if s["service_code"] == "C0101")
    assert manhole["metadata"] is False and manhole["type"] == "realtime"
    root = xml(get("services.xml"))
    assert root.tag == "services" and all(child.tag == "service" for child in root)
    first = root[0]
    assert {child.tag for child in first} == SERVICE_FIELDS
    assert [s.findtext("service_code") for s in root] == [s["service_code"] for s in services]
    assert root[0].findtext("metadata") == "false"


def test_a_service_definition_and_unknown_or_private_services(cast):
    assert as_json(get("services/C0101.json")) == {"service_code": "C0101", "attributes": []}
    root = xml(get("services/C0101.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "C0101"
    for code in ("S0101", "C9999"):  # not public; unknown
        assert error_list(get(f"services/{code}.json"), 404) == ["No such service_code."]
        assert error_list(get(f"services/{code}.xml"), 404) == ["No such service_code."]


def test_requests_show_public_cases_with_every_spec_field(cast):
    handling = case_in(cast, "handling")
    closed = case_in(cast, "closed")
    private = new_case(cast, category_code="S0101")
    rejected = act(cast, "reject", new_case(cast), reason="重复")
    items = as_json(get("requests.json"))
    assert [i["service_request_id"] for i in items] == [closed.number, handling.number]
    assert {private.number, rejected.number}.isdisjoint(i["service_request_id"] for i in items)
    assert all(set(i) == REQUEST_FIELDS for i in items)
    closed_item, handling_item = items
    assert (handling_item["status"], closed_item["status"]) == ("open", "closed")
    assert handling_item["agency_responsible"] == cast.department.name
    assert handling_item["status_notes"] == "Being fixed"
    handling.refresh_from_db()
    expected = datetime.fromisoformat(handling_item["expected_datetime"])
    assert expected == handling.due_at.replace(microsecond=0) and expected.utcoffset() is not None
    assert closed_item["expected_datetime"] is None
    closed.refresh_from_db()
    updated = datetime.fromisoformat(closed_item["updated_datetime"])
    assert (
        updated == closed.closed_at.replace(microsecond=0) and closed.closed_at > closed.created_at
    )
    root = xml(get("requests.xml"))
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request", "request"]
    assert {c.tag for c in root[1]} == REQUEST_FIELDS
    for item, element in zip(items, root, strict=True):
        for field in REQUEST_FIELDS:
            value = item[field]
            assert element.findtext(field) == ("" if value is None else str(value)), field


def test_requests_filters_by_id_service_status_and_window(cast):
    handling = case_in(cast, "handling")
    closed = case_in(cast, "closed")
    lamp = new_case(cast, category_code="C0102")
    old = new_case(cast)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))

    def numbers(**params) -> list[str]:
        return [i["service_request_id"] for i in as_json(get("requests.json", **params))]

    assert numbers(service_request_id=f"{handling.number},{closed.number}", status="open") == [
        closed.number,
        handling.number,
    ]  # ids override every other argument
    assert numbers(service_code="C0102") == [lamp.number]
    assert closed.number not in numbers(status="open") and numbers(status="closed") == [
        closed.number
    ]
    assert set(numbers(status="open,closed")) == {
        handling.number,
        closed.number,
        lamp.number,
        old.number,
    }
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert old.number not in numbers(start_date=since)
    before = (timezone.now() - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert numbers(end_date=before) == [old.number]


def test_bad_filters_are_400_error_lists(cast):
    cases = {
        "status": {"status": "pending"},
        "start_date": {"start_date": "yesterday"},
        "end_date": {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},
    }
    for field, params in cases.items():
        for fmt in ("json", "xml"):
            (message,) = error_list(get(f"requests.{fmt}", **params), 400)
            assert message.startswith(f"{field}: "), message
    ok = {"start_date": "2026-01-01", "end_date": "2026-03-31"}
    assert get("requests.json", **ok).status_code == 200


def test_one_request_by_id_and_unknown_or_hidden_ids(cast):
    case = case_in(cast, "dispatched")
    (item,) = as_json(get(f"requests/{case.number}.json"))
    assert item["service_request_id"] == case.number and item["status"] == "open"
    root = xml(get(f"requests/{case.number}.xml"))
    assert root.tag == "service_requests" and root[0].findtext("service_request_id") == case.number
    private = new_case(cast, category_code="S0101")
    for number in ("110101-20260101-999999", private.number):
        assert error_list(get(f"requests/{number}.json"), 404) == ["No such service_request_id."]
        assert error_list(get(f"requests/{number}.xml"), 404) == ["No such service_request_id."]


def test_tokens_are_the_tracking_codes(cast):
    case = new_case(cast, resident=True)
    code = case.tracking_code
    assert as_json(get(f"tokens/{code}.json")) == [
        {"service_request_id": case.number, "token": code}
    ]
    root = xml(get(f"tokens/{code.lower()}.xml"))
    assert root.findtext("request/token") == code
    assert root.findtext("request/service_request_id") == case.number
    assert error_list(get("tokens/NOSUCHCODE.json"), 404) == ["No such token."]
    assert error_list(get("tokens/NOSUCHCODE.xml"), 404) == ["No such token."]


def test_a_published_photo_is_the_media_url(cast, settings):
    settings.SITE_URL = "https://grid.example.cn"
    pictured = create_case(
        by=cast.reporter,
        title="井盖",
        description="井盖丢失",
        category_code="C0101",
        lon=POINT_A[0],
        lat=POINT_A[1],
        photos=[photo()],
    )
    (item,) = as_json(get(f"requests/{pictured.number}.json"))
    assert item["media_url"] == ""  # not published yet
    attachment = pictured.attachments.get()
    set_photo_public(case_id=pictured.pk, attachment_id=attachment.pk, by=cast.staff, public=True)
    (item,) = as_json(get(f"requests/{pictured.number}.json"))
    assert item["media_url"] == f"https://grid.example.cn/public/photos/{attachment.pk}/"
    assert Client().get(f"/public/photos/{attachment.pk}/").status_code == 200


def test_unknown_jurisdiction_and_wrong_method(cast):
    assert error_list(get("services.json", jurisdiction_id="999999"), 404) == [
        "No such jurisdiction_id."
    ]
    district = cast.territory.district.code
    assert get("services.json", jurisdiction_id=district).status_code == 200
    (message,) = error_list(Client().post("/open311/v2/services.json"), 405)
    assert "GET" in message
    # A path Open311 does not have: still a GeoReport error list, never an HTML page.
    assert error_list(Client().get("/open311/v2/nothing.json"), 404)
