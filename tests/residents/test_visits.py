"""Visits (走访) that mean something: a note (quick phrases or typed), the GPS fix and its
time, the fix's cell; an undo for five minutes, by the worker who logged it only; a case
started from the visit at the household's address; bad input is a 400, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from residents.models import Tag, Visit
from residents.visits import UNDO_MINUTES, UndoTooLate, undo_visit

from ..cases.personas import POINT_A
from ..factories import ResidentFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def household(cast):
    resident = ResidentFactory(household__cell=cast.territory.cell_a)
    resident.tags.add(Tag.objects.get(code="elderly_alone"))
    return resident.household


def visit(client, household, **data):
    return client.post(reverse("household-visited", args=[household.pk]), data, **HTMX)


def test_a_visit_keeps_its_note_and_gps_fix(as_user, cast, household):
    fixed_at = timezone.now().replace(microsecond=0) - timedelta(seconds=20)
    response = visit(
        as_user(cast.reporter),
        household,
        note="身体状况良好；已送达政策资料",
        lon=POINT_A[0],
        lat=POINT_A[1],
        accuracy="12",
        fixed_at=fixed_at.isoformat(),
    )
    assert response.status_code == 200
    logged = Visit.objects.get()
    assert logged.note == "身体状况良好；已送达政策资料"
    assert (logged.lon, logged.lat, logged.accuracy_m) == (POINT_A[0], POINT_A[1], 12.0)
    assert logged.fixed_at == fixed_at
    assert logged.fix_cell == cast.territory.cell_a
    page = response.content.decode()
    assert "GPS ±12 m" in page and 'data-testid="undo"' in page
    assert f"/report/?visit={logged.pk}" in page


@pytest.mark.parametrize(
    "data",
    [
        {"lon": "116.4"},  # half a fix
        {"lon": "300", "lat": "39.9"},
        {"lon": "116.4", "lat": "39.9", "accuracy": "-5"},
        {"lon": "116.4", "lat": "39.9", "fixed_at": "yesterday-ish"},
        {"note": "很长" * 300},
    ],
)
def test_bad_input_is_a_400_naming_the_field(as_user, cast, household, data):
    response = visit(as_user(cast.reporter), household, **data)
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_undo_within_five_minutes_puts_the_household_back(as_user, cast, household):
    client = as_user(cast.reporter)
    visit(client, household, note="一切正常")
    logged = Visit.objects.get()
    response = client.post(reverse("visit-undo", args=[logged.pk]), **HTMX)
    assert response.status_code == 200
    assert not Visit.objects.exists()
    assert 'data-kind="visit"' in response.content.decode()  # due again, with its form


def test_undo_is_refused_after_five_minutes_saying_why(as_user, cast, household):
    client = as_user(cast.reporter)
    visit(client, household)
    logged = Visit.objects.get()
    Visit.objects.filter(pk=logged.pk).update(
        visited_at=timezone.now() - timedelta(minutes=UNDO_MINUTES, seconds=1)
    )
    response = client.post(reverse("visit-undo", args=[logged.pk]), **HTMX)
    assert response.status_code == 409
    assert "5 minutes" in response.content.decode()
    assert Visit.objects.exists()
    with pytest.raises(UndoTooLate):
        undo_visit(visit_id=logged.pk, by=cast.reporter)


def test_only_the_worker_who_logged_it_may_undo_it(as_user, cast, worker_a2, household):
    visit(as_user(cast.reporter), household)
    logged = Visit.objects.get()
    # A colleague of the same cell: someone else's record, as if it did not exist.
    assert as_user(worker_a2).post(reverse("visit-undo", args=[logged.pk])).status_code == 404
    assert Visit.objects.exists()


def test_a_case_started_from_a_visit_has_the_households_address(
    as_user, cast, worker_a2, household
):
    visit(as_user(cast.reporter), household)
    logged = Visit.objects.get()
    page = as_user(cast.reporter).get(f"/report/?visit={logged.pk}").content.decode()
    assert f'value="{household.address}"' in page
    # Another worker's visit id prefills nothing; nor does nonsense.
    assert (
        household.address
        not in as_user(worker_a2).get(f"/report/?visit={logged.pk}").content.decode()
    )
    assert as_user(cast.reporter).get("/report/?visit=abc").status_code == 200


def test_a_visit_photo_is_stored_clean_and_shown_only_to_those_who_serve(
    as_user, cast, household, worker_x, django_capture_on_commit_callbacks
):
    from ..cases.images import camera_jpeg, upload

    client = as_user(cast.reporter)
    response = visit(client, household, note="门前台阶破损", photo=upload(camera_jpeg((800, 600))))
    assert response.status_code == 200, response.content
    logged = Visit.objects.get()
    stored = logged.photo.open("rb").read()
    assert stored.startswith(b"\xff\xd8") and b"Exif" not in stored
    assert f"/visits/{logged.pk}/photo/thumbnail/" in response.content.decode()
    assert client.get(f"/visits/{logged.pk}/photo/").status_code == 200
    assert as_user(worker_x).get(f"/visits/{logged.pk}/photo/").status_code == 404
    # Undone, the visit takes its photo files with it.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        undo = as_user(cast.reporter).post(reverse("visit-undo", args=[logged.pk]), **HTMX)
    assert undo.status_code == 200 and callbacks
    assert not logged.photo.storage.exists(logged.photo.name)


def test_a_file_that_is_not_a_photo_is_a_400(as_user, cast, household):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("notes.jpg", b"just some text", content_type="image/jpeg")
    response = visit(as_user(cast.reporter), household, photo=bad)
    assert response.status_code == 400 and "notes.jpg" in response.content.decode()
    assert not Visit.objects.exists()
