"""“Already reported? Add to it” (``POST /api/v1/cases/{id}/supplement/``): a worker adds a
note and photos to an open case instead of filing a duplicate — one event on its timeline,
the photos through the pipeline, the reporter unchanged; a finished case is a 409, a case the
worker may not see a 404; a repeat under the same ``Idempotency-Key`` adds nothing twice."""

from __future__ import annotations

import uuid

import pytest

from cases.models import Attachment, Case, CaseEvent
from workflows.models import Notification

from ..cases.images import upload
from ..cases.personas import case_in, new_case, photo
from .test_case_loop_api import CASES

pytestmark = pytest.mark.django_db


def add(client, case, body: dict, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(key)} if key else {}
    return client.post(f"{CASES}{case.pk}/supplement/", body, format="multipart", **headers)


def test_a_worker_adds_a_note_and_photo_to_an_open_case(cast, client_for):
    case = case_in(cast, "dispatched")
    before = Case.objects.get(pk=case.pk)
    response = add(client_for(cast.worker_a2), case, {"note": "东侧也有一处", "photos": [photo()]})
    assert response.status_code == 200, response.content
    after = Case.objects.get(pk=case.pk)
    assert (after.status, after.reporter, after.due_at) == (
        before.status,
        before.reporter,
        before.due_at,
    )
    event = CaseEvent.objects.get(case=case, action="supplement")
    assert (event.actor, event.note, event.from_status, event.to_status) == (
        cast.worker_a2,
        "东侧也有一处",
        "dispatched",
        "dispatched",
    )
    assert Attachment.objects.get(event=event).stage == "report"
    assert len(response.json()["photos"]) == Attachment.objects.filter(case=case).count()


def test_a_repeat_under_the_same_key_adds_once(cast, client_for):
    case, key = new_case(cast), uuid.uuid4()
    client = client_for(cast.worker_a2)
    codes = [
        add(client, case, {"note": "补充", "photos": [photo()]}, key).status_code for _ in "ab"
    ]
    assert codes == [200, 200]
    assert CaseEvent.objects.filter(case=case, action="supplement").count() == 1
    assert Attachment.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("status", ["closed", "rejected"])
def test_a_case_finished_meanwhile_is_a_409_saying_why(cast, client_for, status):
    case = case_in(cast, status)
    response = client_for(cast.reporter).post(
        f"{CASES}{case.pk}/supplement/", {"note": "补充"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "new report" in response.json()["detail"]
    assert not CaseEvent.objects.filter(action="supplement").exists()


def test_a_case_out_of_scope_is_a_404(cast, client_for):
    case = new_case(cast)  # in cell A; worker_b serves cell B
    assert add(client_for(cast.worker_b), case, {"note": "补充"}).status_code == 404
    assert not CaseEvent.objects.filter(action="supplement").exists()


@pytest.mark.parametrize(
    "body, field",
    [({}, "note"), ({"note": "x", "photos": [upload(b"<html>", "x.jpg")]}, "photos")],
)
def test_nothing_to_add_or_a_refused_photo_is_a_400(cast, client_for, body, field):
    response = add(client_for(cast.worker_a2), new_case(cast), body)
    assert response.status_code == 400
    assert field in response.json()


def test_adding_leaves_the_notices_about_the_case_to_do(cast, client_for):
    case = new_case(cast)
    notice = Notification.objects.create(
        user=cast.staff, case=case, kind="action_needed", message="x"
    )
    assert add(client_for(cast.worker_a2), case, {"note": "补充"}).status_code == 200
    notice.refresh_from_db()
    assert notice.done_at is None
