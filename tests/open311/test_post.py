"""Filing a request through Open311 (POST requests): the portal's intake with source
``open311``, keys, and every error as a GeoReport list."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case, CaseContact
from open311.services import issue_key

from ..cases.personas import POINT_A, POINT_B, POINT_NOWHERE, photo
from .conftest import KEY, V2, as_json, error_list, get, post, xml

pytestmark = pytest.mark.django_db


def _body(**extra) -> dict:
    return {
        "api_key": KEY,
        "service_code": "C0101",
        "lat": POINT_A[1],
        "long": POINT_A[0],
        "description": "小区东门井盖松动，踩上去会晃",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13912345678",
        "email": "wang@example.cn",
        **extra,
    }


def test_a_request_is_filed_by_the_portals_intake_and_tracked_by_its_token(cast, app_client):
    response = post(**_body(media=photo()))
    (item,) = as_json(response)
    assert response.status_code == 200
    case = Case.objects.get()
    assert item["service_request_id"] == case.number and item["token"] == case.tracking_code
    assert set(item) == {"service_request_id", "token", "service_notice", "account_id"}
    assert f"/public/track/{case.tracking_code}/" in item["service_notice"]
    assert (case.source, case.reporter, case.status) == ("open311", None, "collected")
    assert case.cell == cast.territory.cell_a and case.attachments.count() == 1
    contact = CaseContact.objects.get(case=case)
    assert (contact.name, contact.phone, contact.email) == (
        "王小明",
        "13912345678",
        "wang@example.cn",
    )
    # The same code the portal shows, and the request is readable at once.
    assert Client().get(f"/public/track/{case.tracking_code}/").status_code == 200
    assert as_json(get(f"tokens/{item['token']}.json"))[0]["service_request_id"] == case.number
    assert as_json(get(f"requests/{case.number}.json"))[0]["status"] == "open"


def test_the_xml_answer_carries_the_same_content(cast, app_client):
    root = xml(post("requests.xml", **_body()))
    case = Case.objects.get()
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert root.findtext("request/service_request_id") == case.number
    assert root.findtext("request/token") == case.tracking_code


def test_an_address_string_alone_places_the_request_in_the_cell_it_names(cast, app_client):
    cell = cast.territory.cell_b
    body = _body(address_string=f"{cell.name}幸福路1号")
    del body["lat"], body["long"]
    assert post(**body).status_code == 200
    case = Case.objects.get()
    assert case.cell == cell and case.address == f"{cell.name}幸福路1号"
    nowhere = _body(address_string="火星基地")
    del nowhere["lat"], nowhere["long"]
    (message,) = error_list(post(**nowhere), 400)
    assert message.startswith("address_string: ")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_or_wrong_key_is_403(cast, app_client, fmt):
    path = f"requests.{fmt}"
    body = _body()
    del body["api_key"]
    assert error_list(post(path, **body), 403) == ["api_key is required to post a request."]
    assert error_list(post(path, **_body(api_key="guess")), 403) == ["This api_key is not valid."]
    app_client.active = False
    app_client.save()
    assert error_list(post(path, **_body()), 403) == ["This api_key is not valid."]
    assert not Case.objects.exists()


def test_a_client_limited_to_some_services_may_post_only_those(cast, app_client):
    from cases.models import Category

    app_client.services.set([Category.objects.get(code="C0102")])
    assert error_list(post(**_body()), 403) == ["This api_key may not post this service_code."]
    assert post(**_body(service_code="C0102")).status_code == 200


BAD = [
    ({"service_code": ""}, "service_code"),
    ({"service_code": "S0101"}, "service_code"),  # not public: residents may not report it
    ({"service_code": "C9999"}, "service_code"),
    ({"description": ""}, "description"),
    ({"description": "长" * 2001}, "description"),
    ({"lat": "north"}, "lat"),
    ({"lat": POINT_NOWHERE[1], "long": POINT_NOWHERE[0]}, "long"),  # outside the district
    ({"phone": "12345"}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"media": photo(name="x.png", data=b"not a picture")}, "media"),
    ({"media_url": "ftp://example.cn/a.png"}, "media_url"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_fields_are_400_naming_the_field(cast, app_client, change, field):
    for fmt in ("json", "xml"):
        messages = error_list(post(f"requests.{fmt}", **_body(**change)), 400)
        assert any(m.startswith(f"{field}: ") for m in messages), messages
    assert not Case.objects.exists()


def test_no_point_and_no_address_is_400(cast, app_client):
    body = _body()
    del body["lat"], body["long"]
    assert error_list(post(**body), 400) == ["Give lat and long, or address_string."]


def test_a_point_outside_the_jurisdiction_asked_for_is_400(cast, app_client, territory):
    from grids.models import District

    other = District.objects.create(name="别区", code="110102")
    body = _body(jurisdiction_id=other.code, lat=POINT_B[1], long=POINT_B[0])
    assert error_list(post(**body), 400) == ["lat/long: this point is outside the jurisdiction."]
    assert error_list(post(**_body(jurisdiction_id="999999")), 404)
    assert post(**_body(jurisdiction_id=territory.district.code)).status_code == 200


def test_posts_are_rate_limited_per_client(cast, app_client, settings):
    settings.PUBLIC_RATES = {"open311_caller": "2/h"}
    for n in range(2):
        assert post(**_body(phone=f"1391234567{n}")).status_code == 200
    assert error_list(post(**_body(phone="13912345679")), 429)
    _other, other_key = issue_key(name="Other app")
    assert post(**_body(api_key=other_key, phone="13912345670")).status_code == 200


def test_one_resident_is_limited_across_apps(cast, app_client, settings):
    settings.PUBLIC_RATES = {"open311_contact": "1/d"}
    assert post(**_body()).status_code == 200
    assert error_list(post(**_body()), 429)


def test_csrf_does_not_block_api_clients(cast, app_client):
    client = Client(enforce_csrf_checks=True)
    assert client.post(V2 + "requests.json", _body()).status_code == 200
