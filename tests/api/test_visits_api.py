"""``/api/v1/visits/`` (cases.api.visits): a worker logs a visit (走访) from the phone with a
note, GPS fix and optional photo; a repeat under the same ``Idempotency-Key`` is the same
visit, another body under it a 409; undo within 5 minutes (409 after, someone else's 404);
the list shows one's own visits only, in a constant number of queries."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from idempotency.models import IdempotencyKey
from residents.models import Visit
from residents.visits import UNDO_MINUTES

from ..cases.images import jpeg, upload
from ..cases.personas import POINT_A, photo
from ..factories import HouseholdFactory

pytestmark = pytest.mark.django_db
VISITS = "/api/v1/visits/"


@pytest.fixture
def household(cast):
    return HouseholdFactory(cell=cast.territory.cell_a)


def body(household, **extra) -> dict:
    return {
        "household": household.pk,
        "note": "身体状况良好",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        "accuracy": 12,
        **extra,
    }


def send(client, data: dict, key=None, fmt: str = "json"):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(key)} if key else {}
    return client.post(VISITS, data, format=fmt, **headers)


def test_a_visit_is_logged_with_its_note_fix_and_photo(cast, client_for, household):
    response = send(client_for(cast.reporter), body(household, photo=photo()), fmt="multipart")
    assert response.status_code == 201, response.content
    visit = Visit.objects.get()
    assert (visit.worker, visit.household, visit.note) == (cast.reporter, household, "身体状况良好")
    assert (visit.fix_cell, visit.accuracy_m) == (cast.territory.cell_a, 12.0)
    assert visit.photo and visit.photo_thumbnail
    data = response.json()
    assert data["id"] == visit.pk and data["can_undo"] is True
    assert data["photo_url"] == f"/visits/{visit.pk}/photo/"


def test_the_same_key_and_body_is_the_same_visit(cast, client_for, household):
    client, key = client_for(cast.reporter), uuid.uuid4()
    responses = [send(client, body(household, photo=photo()), key, "multipart") for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 200, 200]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Visit.objects.count() == 1
    assert IdempotencyKey.objects.get().target == "residents.visit"


@pytest.mark.parametrize("other", [{"note": "无人在家"}, {"photo": "another photo"}])
def test_another_body_under_the_same_key_is_a_409(cast, client_for, household, other):
    client, key = client_for(cast.reporter), uuid.uuid4()
    assert send(client, body(household, photo=photo()), key, "multipart").status_code == 201
    if "photo" in other:
        other = {"photo": upload(jpeg((64, 48), seed=2), "other.jpg")}
    else:
        other = {"photo": photo(), **other}
    response = send(client, body(household, **other), key, "multipart")
    assert response.status_code == 409, response.content
    assert "Idempotency-Key" in response.json()["detail"]
    assert Visit.objects.count() == 1


def test_another_users_key_is_independent(cast, client_for, household):
    key = uuid.uuid4()
    assert send(client_for(cast.reporter), body(household), key).status_code == 201
    assert send(client_for(cast.worker_a2), body(household), key).status_code == 201
    assert Visit.objects.count() == 2


def test_a_refused_visit_keeps_no_key(cast, client_for, household):
    client, key = client_for(cast.reporter), uuid.uuid4()
    refused = send(client, {**body(household), "lat": "x"}, key)
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert send(client, body(household), key).status_code == 201


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"lat": "x"}, "lat"),
        ({"lon": 500}, "lon"),
        ({"household": "abc"}, "household"),
        ({"note": "很" * 501}, "note"),
        ({"fixed_at": "yesterday"}, "fixed_at"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(cast, client_for, household, bad, field):
    response = send(client_for(cast.reporter), {**body(household), **bad})
    assert response.status_code == 400
    assert field in response.json()
    assert not Visit.objects.exists()


def test_half_a_fix_is_a_400(cast, client_for, household):
    data = body(household)
    del data["lat"]
    response = send(client_for(cast.reporter), data)
    assert response.status_code == 400 and "lat" in response.json()


def test_a_photo_the_pipeline_refuses_is_a_400_on_photo(cast, client_for, household):
    response = send(
        client_for(cast.reporter),
        body(household, photo=upload(b"<html>not a photo</html>", "x.jpg")),
        fmt="multipart",
    )
    assert response.status_code == 400
    assert "photo" in response.json()
    assert not Visit.objects.exists()


def test_a_household_outside_ones_cells_is_a_404(cast, client_for):
    elsewhere = HouseholdFactory(cell=cast.territory.cell_b)
    response = send(client_for(cast.reporter), body(elsewhere))
    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_undo_within_five_minutes_then_a_repeat_of_the_log_says_it_was_undone(
    cast, client_for, household
):
    client, key = client_for(cast.reporter), uuid.uuid4()
    visit_id = send(client, body(household), key).json()["id"]
    assert client.post(f"{VISITS}{visit_id}/undo/").status_code == 204
    assert not Visit.objects.exists()
    again = send(client, body(household), key)  # a late repeat of the first request
    assert again.status_code == 409
    assert not Visit.objects.exists()


def test_undo_after_five_minutes_is_a_409_saying_why(cast, client_for, household):
    client = client_for(cast.reporter)
    visit_id = send(client, body(household)).json()["id"]
    Visit.objects.update(visited_at=timezone.now() - timedelta(minutes=UNDO_MINUTES, seconds=1))
    response = client.post(f"{VISITS}{visit_id}/undo/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert f"{UNDO_MINUTES} minutes" in response.json()["detail"]
    assert Visit.objects.count() == 1


def test_someone_elses_visit_is_a_404_to_read_and_to_undo(cast, client_for, household):
    visit_id = send(client_for(cast.reporter), body(household)).json()["id"]
    other = client_for(cast.worker_a2)  # serves the same cell
    assert other.get(f"{VISITS}{visit_id}/").status_code == 404
    assert other.post(f"{VISITS}{visit_id}/undo/").status_code == 404
    assert Visit.objects.count() == 1


def test_the_list_shows_ones_own_visits_in_constant_queries(
    cast, client_for, household, django_assert_num_queries
):
    mine, theirs = client_for(cast.reporter), client_for(cast.worker_a2)
    send(theirs, body(household))
    counts = []
    for n in (1, 6):
        while Visit.objects.filter(worker=cast.reporter).count() < n:
            send(mine, body(household, photo=photo()), fmt="multipart")
        with django_assert_num_queries(4) as captured:
            response = mine.get(VISITS)
        counts.append(len(captured))
        assert response.status_code == 200
        assert [v["id"] for v in response.json()["results"]] == list(
            Visit.objects.filter(worker=cast.reporter).values_list("pk", flat=True)
        )
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "bad",
    [
        {"lat": None},  # half a fix
        {"lon": None},
        {"photo": "not a photo"},
    ],
)
def test_the_page_and_the_api_refuse_bad_input_with_the_same_field_errors(
    cast, client_for, as_user, household, bad
):
    data = body(household, **bad)
    data = {name: value for name, value in data.items() if value is not None}
    if "photo" in data:
        data["photo"] = upload(b"<html>not a photo</html>", "x.jpg")
    api = client_for(cast.reporter).post(
        VISITS, data, format="multipart", HTTP_ACCEPT_LANGUAGE="en"
    )
    if "photo" in data:
        data["photo"] = upload(b"<html>not a photo</html>", "x.jpg")
    del data["household"]
    page = as_user(cast.reporter).post(
        reverse("household-visited", args=[household.pk]),
        data,
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (api.status_code, page.status_code) == (400, 400)
    shown = page.content.decode()
    for field, messages in api.json().items():
        assert f"{field}: {' '.join(messages)}" in shown
    assert not Visit.objects.exists()
