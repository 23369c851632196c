"""The issue's acceptance scenario over HTTP, and the error contract of the case endpoints."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case

from ..cases.personas import POINT_A, POINT_NOWHERE, POINT_X, case_in, new_case, photo

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


def create_body(point=POINT_A, **extra) -> dict:
    return {
        "title": "井盖丢失",
        "description": "人行道上水井盖丢失",
        "category": "C0101",
        "lon": point[0],
        "lat": point[1],
        "address": "幸福路 1 号",
        **extra,
    }


def test_acceptance_scenario(cast, worker_x, staff2, client_for):
    worker, staff, handler = (client_for(u) for u in (cast.reporter, cast.staff, cast.handler))

    response = worker.post(CASES, create_body(), format="json")
    assert response.status_code == 201, response.json()
    case = response.json()
    assert case["status"] == "collected"
    assert case["cell"] == cast.territory.cell_a.full_code
    assert case["street"] == cast.territory.street1.full_code
    assert case["reporter"] == "worker_a"
    assert case["number"] and case["due_at"]
    assert case["allowed_actions"] == ["self_resolve"]
    url = f"{CASES}{case['id']}/"

    response = staff.post(f"{url}accept/", {}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "accepted")
    assert response.json()["allowed_actions"] == ["dispatch"]
    response = staff.post(f"{url}dispatch/", {"department": cast.department.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["department"]) == (
        "dispatched",
        cast.department.pk,
    )
    assert response.json()["department_name"] == cast.department.name

    assert handler.get(url).json()["allowed_actions"] == ["return", "start", "request_transfer"]
    response = handler.post(f"{url}start/", {}, format="json")
    assert (response.json()["status"], response.json()["handler"]) == ("handling", "handler")
    response = handler.post(
        f"{url}report/", {"note": "已补装井盖", "photos": [photo()]}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "feedback"
    assert response.json()["verifier"] == "worker_a"
    assert [p["stage"] for p in response.json()["photos"]] == ["result"]

    response = handler.post(
        f"{url}verify_pass/", {"note": "我自己核查", "photos": [photo()]}, format="multipart"
    )
    assert response.status_code == 403
    assert response.json()["detail"]

    response = worker.post(
        f"{url}verify_pass/", {"note": "现场核查合格", "photos": [photo()]}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "closed"
    assert response.json()["allowed_actions"] == []

    events = worker.get(f"{url}events/").json()
    assert [(e["seq"], e["action"], e["from_status"], e["to_status"]) for e in events] == [
        (1, "create", "", "collected"),
        (2, "accept", "collected", "accepted"),
        (3, "dispatch", "accepted", "dispatched"),
        (4, "start", "dispatched", "handling"),
        (5, "report", "handling", "feedback"),
        (6, "verify_pass", "feedback", "closed"),
    ]
    assert [e["actor"] for e in events] == [
        "worker_a",
        "staff1",
        "staff1",
        "handler",
        "handler",
        "worker_a",
    ]
    assert events[4]["note"] == "已补装井盖"

    for action, body in [("accept", {}), ("reject", {"reason": "x"}), ("suspend", {})]:
        response = staff.post(f"{url}{action}/", body, format="json")
        assert response.status_code == 409, (action, response.json())
        assert response.json()["status"] == "closed"
        assert response.json()["allowed_actions"] == []
        assert "closed" in response.json()["detail"]

    for outsider in (client_for(worker_x), client_for(staff2)):
        assert outsider.get(url).status_code == 404
        assert outsider.get(f"{url}events/").status_code == 404
        assert outsider.post(f"{url}accept/", {}, format="json").status_code == 404
        assert outsider.get(CASES).json()["count"] == 0


def test_409_lists_what_is_allowed_now(cast, client_for):
    case = case_in(cast, "accepted")
    response = client_for(cast.staff).post(
        f"{CASES}{case.pk}/reject/", {"reason": "晚了"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["status"] == "accepted"
    assert response.json()["allowed_actions"] == ["dispatch"]


def test_session_auth_works_and_anonymous_is_refused(cast):
    new_case(cast)
    anonymous = APIClient()
    assert anonymous.get(CASES).status_code in (401, 403)
    assert anonymous.post(CASES, create_body(), format="json").status_code in (401, 403)
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad_token.get(CASES).status_code in (401, 403)
    session = APIClient()
    session.force_login(cast.reporter)
    assert session.get(CASES).json()["count"] == 1


def test_wrong_password_gets_no_token(cast):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "worker_a", "password": "wrong"}
    )
    assert response.status_code == 400
    assert "token" not in response.json()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (create_body(category="X9999"), {"category"}),
        (create_body(category="C01"), {"category"}),  # a major class is not filed under
        (create_body(point=POINT_NOWHERE), {"lon", "lat"}),
        (create_body(point=POINT_X), {"lon", "lat"}),  # a cell worker_a does not serve
        (create_body(lon="abc"), {"lon"}),
        (create_body(lon=500), {"lon"}),
        (create_body(lat="NaN"), {"lat"}),
        (create_body(title="", description=" "), {"title", "description"}),
        (create_body(title="井" * 121), {"title"}),
        (create_body(priority="whenever"), {"priority"}),
        ({"title": "x", "description": "y", "category": "C0101"}, {"lon", "lat"}),
    ],
)
def test_create_refuses_bad_input_with_field_errors(cast, client_for, body, fields):
    response = client_for(cast.reporter).post(CASES, body, format="json")
    assert response.status_code == 400, response.json()
    assert set(response.json()) == fields
    assert not Case.objects.exists()


def test_create_refuses_a_file_that_is_not_a_photo(cast, client_for):
    body = create_body(photos=[photo("x.png", b"MZ not an image")])
    response = client_for(cast.reporter).post(CASES, body, format="multipart")
    assert response.status_code == 400
    assert set(response.json()) == {"photos"}


def test_create_with_photos_over_multipart(cast, client_for):
    client = client_for(cast.reporter)
    response = client.post(CASES, create_body(photos=[photo()]), format="multipart")
    assert response.status_code == 201, response.json()
    detail = client.get(f"{CASES}{response.json()['id']}/").json()
    assert [p["stage"] for p in detail["photos"]] == ["report"]
    assert detail["photos"][0]["url"].startswith("http://testserver/")


def test_create_costs_the_same_few_queries_however_many_cases_and_photos(
    cast, client_for, settings
):
    """Sign-in (the token with its user) and the reporter's assignments, read once by the gate
    (``grids.access``) for the territory check and ``allowed_actions`` too, then one
    transaction: number, case, event, one row per photo. The category and the cell with its
    parents come from the process's copies (warmed by the first post); nothing is read back."""
    settings.GRID_INDEX_RECHECK_SECONDS = 3600  # no index freshness check mid-test
    client = client_for(cast.reporter)
    client.post(CASES, create_body(), format="json")  # warm the cell index, calendar, categories
    counts = {}
    for earlier, photos in ((1, 0), (6, 0), (6, 2)):
        while Case.objects.count() < earlier:
            client.post(CASES, create_body(), format="json")
        body = create_body(photos=[photo() for _ in range(photos)])
        with CaptureQueriesContext(connection) as queries:
            response = client.post(CASES, body, format="multipart")
        assert response.status_code == 201, response.json()
        assert len(response.json()["photos"]) == photos
        assert response.json()["allowed_actions"] == ["self_resolve"]
        counts[(earlier, photos)] = len(queries)
    sql = "\n".join(q["sql"][:80] for q in queries.captured_queries)
    # 2 reads; savepoint (a transaction outside tests), case id (PostgreSQL) or number
    # (elsewhere), event, photos, the case with its number (PostgreSQL) or the case, release.
    base = 7
    assert counts == {(1, 0): base, (6, 0): base, (6, 2): base + 2}, sql


def test_a_handler_may_not_file_cases(cast, client_for):
    response = client_for(cast.handler).post(CASES, create_body(), format="json")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("status", "action", "user", "body", "field"),
    [
        ("collected", "reject", "staff", {}, "reason"),
        ("collected", "reject", "staff", {"reason": "  "}, "reason"),
        ("collected", "merge", "staff", {}, "duplicate_of"),
        ("collected", "merge", "staff", {"duplicate_of": "abc"}, "duplicate_of"),
        ("collected", "merge", "staff", {"duplicate_of": 10**30}, "duplicate_of"),
        ("collected", "merge", "staff", {"duplicate_of": 10**9}, "duplicate_of"),
        ("collected", "accept", "staff", {"category": "Z0000"}, "category"),
        ("accepted", "dispatch", "staff", {}, "department"),
        ("accepted", "dispatch", "staff", {"department": "abc"}, "department"),
        ("accepted", "dispatch", "staff", {"department": 10**9}, "department"),
        ("dispatched", "return", "handler", {}, "reason"),
        ("handling", "report", "handler", {"note": "好了"}, "photos"),  # C0101 needs a photo
        ("handling", "report", "handler", {}, "note"),
        ("handling", "suspend", "staff", {}, "reason"),
        ("handling", "suspend", "staff", {"reason": "等待确认"}, "review_at"),
        ("handling", "suspend", "staff", {"reason": "等待确认", "review_at": "soon"}, "review_at"),
        (
            "handling",
            "suspend",
            "staff",
            {"reason": "等待确认", "review_at": "2020-01-01T09:00:00+08:00"},
            "review_at",
        ),
        ("handling", "request_extension", "handler", {"reason": "等料"}, "due_at"),
        ("handling", "request_extension", "handler", {"due_at": "tomorrow"}, "due_at"),
        ("feedback", "verify_fail", "reporter", {}, "reason"),
    ],
)
def test_actions_refuse_bad_input_with_field_errors(
    cast, client_for, status, action, user, body, field
):
    case = case_in(cast, status)
    response = client_for(getattr(cast, user)).post(
        f"{CASES}{case.pk}/{action}/", body, format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()
    case.refresh_from_db()
    assert case.status == status


def test_every_action_is_routed_to_its_service(cast, client_for, other_handler):
    """Walk the rest of the table: merge, return, extension, suspend/resume, verify_fail,
    self_resolve."""
    staff, handler, reporter = (client_for(u) for u in (cast.staff, cast.handler, cast.reporter))
    target = new_case(cast)
    case = new_case(cast)

    def post(client, action, body=None, fmt="json"):
        response = client.post(f"{CASES}{case.pk}/{action}/", body or {}, format=fmt)
        assert response.status_code == 200, (action, response.json())
        return response.json()

    merged = post(staff, "merge", {"duplicate_of": target.pk})
    assert merged["status"] == "rejected"

    case = new_case(cast)
    post(staff, "accept", {"category": "C0104", "priority": "urgent"})
    post(staff, "dispatch", {"department": cast.department.pk, "handler": cast.handler.pk})
    assert post(handler, "return", {"reason": "非本部门职责"})["status"] == "accepted"
    post(staff, "dispatch", {"department": cast.department.pk})
    post(handler, "start")
    asked = Case.objects.get(pk=case.pk).due_at.isoformat().replace("+00:00", "Z")
    response = handler.post(
        f"{CASES}{case.pk}/request_extension/", {"reason": "等料", "due_at": asked}, format="json"
    )
    assert response.status_code == 400  # not later than the current deadline
    later = Case.objects.get(pk=case.pk).due_at + timedelta(hours=1)
    post(handler, "request_extension", {"reason": "等料", "due_at": later.isoformat()})
    extended = post(staff, "approve_extension")
    assert datetime.fromisoformat(extended["due_at"]) == later
    review = (timezone.now() + timedelta(days=7)).isoformat()
    suspended = post(staff, "suspend", {"reason": "等待确认", "review_at": review})
    assert suspended["status"] == "suspended" and suspended["review_at"]
    assert post(staff, "resume")["status"] == "handling"
    post(handler, "report", {"note": "好了", "photos": [photo()]}, fmt="multipart")
    failed = post(reporter, "verify_fail", {"reason": "未固定", "photos": [photo()]}, "multipart")
    assert (failed["status"], failed["rework_count"]) == ("dispatched", 1)

    case = new_case(cast)
    resolved = post(
        reporter, "self_resolve", {"note": "已现场补装", "photos": [photo()]}, "multipart"
    )
    assert (resolved["status"], resolved["verifier"]) == ("feedback", "worker_a2")


def test_unknown_ids_and_actions_are_404(cast, client_for):
    client = client_for(cast.staff)
    case = new_case(cast)
    assert client.get(f"{CASES}abc/").status_code == 404
    assert client.get(f"{CASES}{10**30}/").status_code == 404
    assert client.get(f"{CASES}{10**15}/").status_code == 404
    assert client.post(f"{CASES}abc/accept/", {}, format="json").status_code == 404
    assert client.post(f"{CASES}{case.pk}/fly/", {}, format="json").status_code == 404


def test_a_cross_checked_case_is_verified_by_the_other_cells_worker(cast, client_for, settings):
    settings.CROSS_CHECK_SHARE = 1  # every verification goes to another cell
    case = case_in(cast, "feedback")
    assert (case.verifier, case.cross_check) == (cast.worker_b, True)
    url = f"{CASES}{case.pk}/verify_pass/"
    body = {"note": "现场核查合格", "photos": [photo()]}
    response = client_for(cast.reporter).post(url, body, format="multipart")
    assert response.status_code == 403
    body = {"note": "现场核查合格", "photos": [photo()]}
    response = client_for(cast.worker_b).post(url, body, format="multipart")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["verifier"]) == ("closed", "worker_b")
