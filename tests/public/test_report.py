"""Reporting as a resident on /public/report/ (no account): the channel sets the source, the
point and category are checked as for workers, abuse is refused at the door."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case, CaseContact
from workflows import resident_notices, sms, tasks
from workflows.models import ResidentMessage

from ..cases.personas import POINT_A, POINT_NOWHERE, photo

pytestmark = pytest.mark.django_db
URL = "/public/report/"


def _body(**extra) -> dict:
    return {
        "description": "小区东门井盖松动，踩上去会晃",
        "category": "C0101",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        "address": "幸福路1号东门",
        "phone": "13912345678",
        **extra,
    }


def test_anonymous_visitors_land_on_the_portal_not_the_login_page(db):
    """Before: / sent everyone who was not signed in to the login page."""
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"] == "/public/"
    page = Client().get("/public/").content.decode()
    assert "/public/report/" in page and "/accounts/login/" in page


def test_the_report_form_offers_only_public_categories(cast):
    page = Client().get(URL).content.decode()
    assert 'value="C0101"' in page  # 井盖
    assert 'value="S0101"' not in page  # 独居老人关爱: about a person, never public


def test_a_resident_reports_with_a_photo_and_gets_a_tracking_code(cast):
    response = Client().post(URL, {**_body(), "photos": [photo()]})
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert response["Location"] == f"/public/track/{case.tracking_code}/?new=1"
    assert (case.source, case.reporter) == ("resident", None)
    assert case.priority == case.category.default_priority
    assert case.cell == cast.territory.cell_a and case.attachments.count() == 1
    assert CaseContact.objects.get(case=case).phone == "13912345678"
    page = Client().get(response["Location"]).content.decode()
    code = case.tracking_code
    assert f"{code[:5]}-{code[5:]}" in page
    # The street's staff hear of it, and the resident gets the code by SMS, from the sweep.
    assert tasks.follow_up_intakes.run() == 1
    message = ResidentMessage.objects.get(case=case)
    assert resident_notices.send_message(message.pk) is True
    assert resident_notices.send_message(message.pk) is False  # a redelivery sends nothing
    assert [m.to for m in sms.outbox] == ["13912345678"]
    assert code in sms.outbox[0].body and f"/public/track/{code}/" in sms.outbox[0].body


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"category": "S0101"}, "category"),  # not for residents
        ({"lon": POINT_NOWHERE[0], "lat": POINT_NOWHERE[1]}, "outside every grid cell"),
        ({"phone": "12345"}, "phone"),
        ({"description": "很" * 2001}, "description"),
        ({"lon": ""}, "No location yet"),
    ],
)
def test_bad_reports_get_a_clear_400_and_file_nothing(cast, extra, field):
    response = Client().post(URL, _body(**extra))
    assert response.status_code == 400
    assert not Case.objects.exists()
    page = response.content.decode()
    assert "errorlist" in page or "refusal" in page
    if field[0].isupper() or " " in field:
        assert field in page


def test_more_than_three_photos_are_refused(cast):
    response = Client().post(URL, {**_body(), "photos": [photo(f"{i}.png") for i in range(4)]})
    assert response.status_code == 400 and "At most 3 photos" in response.content.decode()
    assert not Case.objects.exists()


def test_a_robot_filling_the_hidden_field_files_nothing(cast):
    response = Client().post(URL, _body(website="http://spam.example"))
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_a_flood_from_one_address_stops_at_the_door(cast):
    """Before there was no portal; this is the limit that keeps 1,000 bot reports out of the
    street's queue: 20 an hour from one address, 5 a day from one phone."""
    client = Client()
    statuses = [client.post(URL, _body(phone="")).status_code for _ in range(21)]
    assert statuses[:20] == [302] * 20 and statuses[20] == 429
    assert Case.objects.count() == 20


def test_one_phone_files_at_most_five_a_day_from_anywhere(cast):
    statuses = [Client(REMOTE_ADDR=f"10.0.0.{i}").post(URL, _body()).status_code for i in range(6)]
    assert statuses == [302] * 5 + [429]
    assert Case.objects.count() == 5


def test_a_signed_in_worker_reports_from_their_own_page(cast):
    """A worker's report through the portal would count as the public's (监督举报)."""
    client = Client()
    client.force_login(cast.reporter)
    assert "Go to your report page" in client.get(URL).content.decode()
    assert client.post(URL, _body()).status_code == 403
    assert not Case.objects.exists()
