"""An ended assignment grants nothing (grids.access): a worker whose assignment ended
yesterday keeps their account but gets the no-role page (403) from every staff and worker
page and 403 with a clear message from every API endpoint — no data, no action, no 500.

Checked from the outsider's side against real traces they left: a case they reported while
assigned, a notification about it, the cases, households and flags of their former cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from cases.models import Attachment, Case
from cases.services import create_case
from grids.models import Assignment
from integrity.models import IntegrityFlag, Rule
from residents.models import Visit
from workflows.models import Notification
from workflows.services import SERVICES

from ..cases.personas import POINT_A, photo
from ..factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

REFUSAL = "no current assignment"


@dataclass
class Traces:
    mine: Case  # reported by the former worker while assigned
    theirs: Case  # reported by the current worker of the cell
    photo: Attachment
    notice: Notification
    household_id: int
    flag: IntegrityFlag
    visit_id: int
    resident_id: int = 0


def _report(by, **extra) -> Case:
    return create_case(
        by=by,
        title="井盖丢失",
        description="人行道上水井盖丢失",
        category_code="C0101",
        lon=POINT_A[0],
        lat=POINT_A[1],
        **extra,
    )


@pytest.fixture
def traces(cast, former_worker) -> Traces:
    assignment = Assignment.objects.get(user=former_worker)
    ended = assignment.valid_to
    Assignment.objects.filter(pk=assignment.pk).update(valid_to=None)  # back when they served
    mine = _report(former_worker, photos=[photo()])
    Assignment.objects.filter(pk=assignment.pk).update(valid_to=ended)
    theirs = _report(cast.reporter)
    household = HouseholdFactory(cell=cast.territory.cell_a)
    resident = ResidentFactory(household=household)
    return Traces(
        mine=mine,
        theirs=theirs,
        photo=mine.attachments.get(),
        notice=Notification.objects.create(
            user=former_worker, case=mine, kind="reminder", message=f"{mine.number} 待处理"
        ),
        household_id=household.pk,
        resident_id=resident.pk,
        flag=IntegrityFlag.objects.create(rule=Rule.NEAR_DUPLICATE, case=theirs),
        visit_id=Visit.objects.create(household=household, worker=former_worker).pk,
    )


def api_requests(t: Traces) -> list[tuple[str, str, dict]]:
    period = {"level": "cell", "start": "2026-01-01", "end": "2026-01-31"}
    case = f"/api/v1/cases/{t.mine.pk}/"
    return [
        ("get", "/api/v1/cases/", {}),
        (
            "post",
            "/api/v1/cases/",
            {
                "title": "x",
                "description": "x",
                "category": "C0101",
                "lon": POINT_A[0],
                "lat": POINT_A[1],
            },
        ),
        ("get", case, {}),
        (
            "get",
            "/api/v1/cases/nearby/",
            {"lon": POINT_A[0], "lat": POINT_A[1], "category": "C0101"},
        ),
        ("get", f"{case}events/", {}),
        *(("post", f"{case}{action}/", {}) for action in SERVICES),
        ("post", f"{case}supplement/", {"note": "x"}),
        ("get", "/api/v1/visits/", {}),
        ("post", "/api/v1/visits/", {"household": 1}),
        ("get", "/api/v1/visits/1/", {}),
        ("post", "/api/v1/visits/1/undo/", {}),
        ("get", "/api/v1/notifications/", {}),
        ("post", f"/api/v1/notifications/{t.notice.pk}/read/", {}),
        ("post", "/api/v1/notifications/read-all/", {}),
        ("get", "/api/v1/cells/", {}),
        ("get", "/api/v1/departments/", {}),
        ("get", "/api/v1/categories/", {}),
        ("get", "/api/v1/me/", {}),
        ("get", "/api/v1/indicators/", period),
        ("get", "/api/v1/indicators/trend/", period),
        ("get", "/api/v1/indicators/export/", {**period, "as": "csv"}),
        ("get", "/api/v1/indicators/cases/", {**period, "unit": 1, "figure": "filed"}),
        ("post", "/api/v1/satisfaction/callbacks/", {"case": t.mine.pk, "score": 5}),
        ("get", "/api/v1/care/volunteer-tasks/", {}),
        ("post", "/api/v1/care/volunteer-tasks/1/take/", {}),
    ]


def page_requests(t: Traces) -> list[tuple[str, str, dict]]:
    case = f"/cases/{t.mine.pk}/"
    return [
        ("get", "/", {}),
        ("get", "/report/", {}),
        (
            "post",
            "/report/",
            {"category": "C0101", "description": "井盖丢失", "lon": POINT_A[0], "lat": POINT_A[1]},
        ),
        ("get", "/queue/", {}),
        ("post", "/queue/bulk/", {"action": "reject", "case": [t.mine.pk], "reason": "重复"}),
        ("get", "/department/", {}),
        ("get", "/cases/", {}),
        ("get", case, {}),
        ("get", f"{case}photos/{t.photo.pk}/", {}),
        ("get", f"{case}photos/{t.photo.pk}/thumbnail/", {}),
        ("get", f"{case}photos/{t.photo.pk}/export/", {}),
        ("post", f"{case}photos/{t.photo.pk}/public/", {"public": "1"}),
        ("get", "/hotline/", {}),
        ("post", f"{case}act/self_resolve/", {"note": "已处理"}),
        ("get", "/inbox/", {}),
        ("post", f"/inbox/{t.notice.pk}/read/", {}),
        ("post", "/inbox/read-all/", {}),
        ("post", f"/households/{t.household_id}/visited/", {"note": "走访"}),
        ("get", "/households/", {}),
        ("get", "/households/new/", {}),
        ("post", "/households/new/", {"cell": 1, "address": "x"}),
        ("get", f"/households/{t.household_id}/", {}),
        ("post", f"/households/{t.household_id}/edit/", {"address": "x"}),
        ("post", f"/households/{t.household_id}/move/", {"cell": 1}),
        ("post", f"/households/{t.household_id}/residents/new/", {"name": "x"}),
        ("post", f"/residents/{t.resident_id}/edit/", {"name": "x"}),
        ("post", f"/residents/{t.resident_id}/left/", {"reason": "deceased", "on": "2026-01-01"}),
        ("get", "/households/roster/", {}),
        ("get", "/households/roster/template.xlsx", {}),
        ("get", "/households/roster/export.xlsx", {"community": 1}),
        ("post", f"/visits/{t.visit_id}/undo/", {}),
        ("get", f"/visits/{t.visit_id}/photo/", {}),
        ("get", f"/visits/{t.visit_id}/photo/thumbnail/", {}),
        ("get", "/integrity/", {}),
        ("post", f"/integrity/{t.flag.pk}/dismiss/", {"note": "不是重复"}),
        ("post", "/integrity/bulk/", {"decision": "dismiss", "note": "重复", "flag": [t.flag.pk]}),
        ("get", f"/integrity/{t.flag.pk}/photos/{t.photo.pk}/", {}),
        ("get", f"/integrity/{t.flag.pk}/photos/{t.photo.pk}/thumbnail/", {}),
        ("get", "/dashboard/", {}),
        ("get", "/dashboard/cases/", {"level": "cell", "unit": 1, "figure": "filed"}),
        ("get", "/care/", {}),
        ("get", "/care/residents/1/plan/", {}),
        ("get", "/care/tasks/1/", {}),
        ("get", "/care/volunteer/", {}),
        ("post", "/care/volunteer/1/take/", {}),
        ("get", "/care/hours/", {}),
        ("get", "/care/ledgers/", {"month": "2026-11"}),
    ]


def test_every_api_endpoint_refuses_with_the_reason(traces, former_worker, client_for):
    client = client_for(former_worker)  # signing in still works: the account is not closed
    for method, url, data in api_requests(traces):
        response = getattr(client, method)(url, data, format="json" if method == "post" else None)
        assert response.status_code == 403, (url, response.content[:300])
        assert REFUSAL in response.json()["detail"], url
        assert traces.mine.number.encode() not in response.content, url
    assert Case.objects.count() == 2
    traces.notice.refresh_from_db()
    assert traces.notice.read_at is None


def test_the_session_sees_the_same_refusal_from_the_api(traces, former_worker):
    session = APIClient()
    session.force_login(former_worker)
    response = session.get("/api/v1/cases/")
    assert response.status_code == 403
    assert REFUSAL in response.json()["detail"]


def test_they_can_still_sign_out_their_devices(former_worker, client_for):
    assert client_for(former_worker).post("/api/v1/auth/logoutall/").status_code == 204


def test_every_page_answers_with_the_no_role_page(traces, former_worker, client):
    client.force_login(former_worker)
    for method, url, data in page_requests(traces):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (url, response.status_code)
        page = response.content.decode()
        assert 'data-testid="no-role"' in page, url
        assert traces.mine.number not in page, url
    assert Visit.objects.count() == 1  # the one they logged while assigned, not undone
    assert Case.objects.count() == 2
    traces.flag.refresh_from_db()
    assert traces.flag.status == "open"


def test_the_same_worker_with_a_current_assignment_gets_in(traces, former_worker, client):
    Assignment.objects.filter(user=former_worker).update(valid_to=None)
    client.force_login(former_worker)
    assert client.get(f"/cases/{traces.mine.pk}/").status_code == 200


# Routes anyone may call, or that answer only for themselves (sign-in, sign-out, health, the
# schema, the resident portal), and the admin with its own rules.
PUBLIC_ROUTES = {
    "public:index",
    "public:report",
    "public:where",
    "public:area-json",
    "public:track-lookup",
    "public:track",
    "public:track-photo",
    "public:map",
    "public:map-json",
    "public:photo",
    "public:support",
    "public:survey",
    "public:poster",
    "tile",  # the base map's streets (grids.views): no case, no person
    # Open311 GeoReport v2: anonymous reads under the public map's rules; POST needs an
    # api_key (tests/open311).
    "open311:root",
    "open311:discovery",
    "open311:services",
    "open311:service",
    "open311:requests",
    "open311:request",
    "open311:token",
    "healthz",
    "pwa-service-worker",  # names of pages and files, no data
    "pwa-manifest",
    "login",
    "logout",
    "set_language",
    "api-schema",
    "api-docs",
    "api-token",
    "api-logout",
    "api-logoutall",
}


def _route_names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _route_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_route_is_either_checked_above_or_public(traces):
    """A new page or endpoint must join the lists above (and pass) or be declared public."""
    checked = {
        resolve(url).view_name for _m, url, _d in api_requests(traces) + page_requests(traces)
    }
    unchecked = _route_names(get_resolver().url_patterns) - checked - PUBLIC_ROUTES
    assert not unchecked
