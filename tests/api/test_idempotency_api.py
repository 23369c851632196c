"""``Idempotency-Key`` on the case API (idempotency.services): a phone's offline queue repeats a
report, or a verification, until an answer arrives; the case is filed or changed once."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from cases.models import Attachment, Case, CaseEvent
from cases.retention import erase_keys
from idempotency.models import IdempotencyKey

from ..cases.images import jpeg, upload
from ..cases.personas import case_in, photo
from ..factories import HouseholdFactory
from .test_case_loop_api import CASES, create_body
from .test_visits_api import VISITS

pytestmark = pytest.mark.django_db


def other_photo():
    return upload(jpeg((64, 48), seed=2), "photo.png")


def send(client, body: dict, key, *, url: str = CASES, fmt: str = "json"):
    return client.post(url, body, format=fmt, HTTP_IDEMPOTENCY_KEY=str(key))


def test_the_same_key_and_body_answers_with_the_case_already_filed(cast, client_for):
    client, key = client_for(cast.reporter), uuid.uuid4()
    first = send(client, create_body(), key)
    again = send(client, create_body(), key)
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1


def test_a_repeated_report_with_a_photo_files_one_case_with_one_photo(cast, client_for):
    client, key = client_for(cast.reporter), uuid.uuid4()
    responses = [
        send(client, create_body(photos=[photo()]), key, fmt="multipart") for _ in range(3)
    ]
    assert [r.status_code for r in responses] == [201, 200, 200]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(responses[2].json()["photos"]) == 1
    assert (Case.objects.count(), Attachment.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    "other",
    [
        {"description": "另一件事"},
        {"photos": "other photo"},
        {"url": "verify_pass"},
    ],
)
def test_another_request_under_the_same_key_is_a_409(cast, client_for, other):
    client, key = client_for(cast.reporter), uuid.uuid4()
    fmt = "multipart"
    assert send(client, create_body(photos=[photo()]), key, fmt=fmt).status_code == 201
    case = Case.objects.get()
    if "url" in other:
        response = send(client, {"note": "x"}, key, url=f"{CASES}{case.pk}/verify_pass/")
    elif "photos" in other:
        response = send(client, create_body(photos=[other_photo()]), key, fmt=fmt)
    else:
        response = send(client, create_body(photos=[photo()], **other), key, fmt=fmt)
    assert response.status_code == 409, response.content
    assert "Idempotency-Key" in response.json()["detail"]
    assert Case.objects.count() == 1


def test_another_users_key_is_independent(cast, client_for):
    key = uuid.uuid4()
    mine = send(client_for(cast.reporter), create_body(), key)
    theirs = send(client_for(cast.worker_a2), create_body(), key)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert sorted(Case.objects.values_list("reporter__username", flat=True)) == [
        "worker_a",
        "worker_a2",
    ]


def test_a_key_past_its_seven_days_files_again(cast, client_for):
    client, key = client_for(cast.reporter), uuid.uuid4()
    assert send(client, create_body(), key).status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=7, minutes=1))
    assert send(client, create_body(), key).status_code == 201
    assert Case.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_a_refused_report_keeps_no_key_so_the_corrected_one_goes_through(cast, client_for):
    client, key = client_for(cast.reporter), uuid.uuid4()
    refused = send(client, create_body(category="X9999"), key)
    assert refused.status_code == 400
    assert set(refused.json()) == {"category"}
    assert not IdempotencyKey.objects.exists()
    assert send(client, create_body(), key).status_code == 201


def test_a_malformed_key_is_a_field_error(cast, client_for):
    response = send(client_for(cast.reporter), create_body(), "not-a-uuid")
    assert response.status_code == 400
    assert set(response.json()) == {"Idempotency-Key"}
    assert not Case.objects.exists()


def test_a_repeated_verification_changes_the_case_once(cast, client_for):
    """Without the key the repeat would be a 409 (the case is closed already): the phone
    would show a refusal for a verification that went through."""
    case = case_in(cast, "feedback")
    client, key = client_for(cast.reporter), uuid.uuid4()
    url = f"{CASES}{case.pk}/verify_pass/"

    def body() -> dict:
        return {"note": "现场核查合格", "photos": [photo()]}

    responses = [send(client, body(), key, url=url, fmt="multipart") for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200], responses[1].content
    assert responses[1].json()["status"] == "closed"
    assert CaseEvent.objects.filter(case=case, action="verify_pass").count() == 1
    assert client.post(url, body(), format="multipart").status_code == 409


def test_a_repeated_rework_order_is_one_rework(cast, client_for):
    case = case_in(cast, "feedback")
    client, key = client_for(cast.reporter), uuid.uuid4()
    url = f"{CASES}{case.pk}/verify_fail/"
    for _ in range(2):
        assert send(client, {"reason": "井盖仍缺"}, key, url=url).status_code == 200
    assert Case.objects.get(pk=case.pk).rework_count == 1


def test_retention_erases_keys_past_their_window(cast, client_for):
    client = client_for(cast.reporter)
    for _ in range(2):
        send(client, create_body(), uuid.uuid4())
    old = IdempotencyKey.objects.first()
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert erase_keys(date.today() - timedelta(days=7)) == 1
    assert IdempotencyKey.objects.count() == 1 and Case.objects.count() == 2


def test_a_repeat_sent_later_with_the_phones_clock_now_is_the_same_request(cast, client_for):
    """The outbox stamps ``client_now`` when it sends (the server measures the phone's clock
    skew from it), so every repeat carries another: still the same request."""
    client, key = client_for(cast.reporter), uuid.uuid4()
    first = send(client, create_body(client_now="2026-11-29T08:00:00Z"), key)
    again = send(client, create_body(client_now="2026-11-29T10:30:00Z"), key)
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert Case.objects.count() == 1


@pytest.mark.parametrize("body", [["井盖丢失"], "井盖丢失", 3, None])
@pytest.mark.parametrize("endpoint", ["create", "supplement", "accept", "visit"])
def test_a_body_that_is_not_an_object_is_a_400_and_keeps_no_key(cast, client_for, endpoint, body):
    case = case_in(cast, "collected")
    household = HouseholdFactory(cell=cast.territory.cell_a)
    url, user = {
        "create": (CASES, cast.reporter),
        "supplement": (f"{CASES}{case.pk}/supplement/", cast.worker_a2),
        "accept": (f"{CASES}{case.pk}/accept/", cast.staff),
        "visit": (VISITS, cast.reporter),
    }[endpoint]
    client, key = client_for(user), uuid.uuid4()
    response = client.post(
        url, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(key)
    )
    assert response.status_code == 400, response.content
    assert response.json()["non_field_errors"]  # "Expected a dictionary", "No data provided"
    assert not IdempotencyKey.objects.filter(key=key).exists()
    # The corrected request goes through under the same key.
    fixed = {
        "create": create_body(),
        "supplement": {"note": "补充"},
        "accept": {},
        "visit": {"household": household.pk, "note": "走访"},
    }[endpoint]
    assert send(client, fixed, key, url=url).status_code in (200, 201)
