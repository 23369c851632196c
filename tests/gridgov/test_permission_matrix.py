"""The permission matrix (issue 10, "How it is checked"): every URL pattern × every persona ×
an object in each of three places, with what each persona may reach written down here by
hand (not asked of the selectors), and 0 leaks.

The territory (tests/conftest.py): cells A and B in street 1, cell X in street 2. In each cell
a resident's case (dispatched: A and X to the department, B to another one) with a photo, a
household, an integrity flag, and a notification for one person. A persona asking for an
object outside its reach must get 404 or 403 (an anonymous caller: the sign-in page or 401;
an ended assignment: 403), and no list or page it gets may name a case outside its reach.
An object in reach is never a 404. Every request runs in a savepoint rolled back after it,
so each one meets the same data and a write that got through changes nothing later.

A new route fails ``test_every_route_is_in_the_matrix`` until it is added to ``ROUTES``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import get_resolver, resolve
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from care.services import create_plan
from cases.models import Case
from cases.services import ReporterContact, create_case
from grids.models import Role
from integrity.models import IntegrityFlag, Rule
from residents.models import Tag, Visit
from workflows.models import Notification
from workflows.services import SERVICES

from ..cases.personas import (  # noqa: F401  (fixtures are found by name)
    _media_in_tmp,
    _no_cross_check,
    other_department,
    photo,
    staff2,
)
from ..factories import DepartmentFactory, HouseholdFactory, ResidentFactory, assigned_user
from ..grids.test_access import _route_names

pytestmark = pytest.mark.django_db

SIDES = ("A", "B", "X")
POINTS = {"A": (116.405, 39.905), "B": (116.415, 39.905), "X": (116.425, 39.905)}

# Who may reach what, by hand (DESIGN §6). Cases: workers their cell, a volunteer their
# community, street staff their street, a handler their department's cases, the district
# admin everything. Households: a visit is logged by those who serve the cell (street staff,
# the cell's worker), not by the district admin, who oversees. Flags: street staff and
# district admins. Notifications: their owner only.
CASES = {
    "worker_a": {"A"},
    "worker_b": {"B"},
    "functional_worker": {"A", "B"},
    "volunteer": {"A", "B"},
    "street_staff": {"A", "B"},
    "staff2": {"X"},
    "handler": {"A", "X"},
    "district_admin": {"A", "B", "X"},
}
HOUSEHOLDS = {
    "worker_a": {"A"},
    "worker_b": {"B"},
    "functional_worker": {"A", "B"},
    "street_staff": {"A", "B"},
    "staff2": {"X"},
}
# A community's roster: whoever serves a cell of the community (A and B share one).
ROSTERS = {
    "worker_a": {"A", "B"},
    "worker_b": {"A", "B"},
    "functional_worker": {"A", "B"},
    "street_staff": {"A", "B"},
    "staff2": {"X"},
}
FLAGS = {"street_staff": {"A", "B"}, "staff2": {"X"}, "district_admin": {"A", "B", "X"}}
NOTICE_OWNERS = {"A": "worker_a", "B": "worker_b", "X": "staff2"}
# Visits: their worker undoes them (cell X's worker is no persona). They carry no photo, so a
# visit's photo is in nobody's reach: every persona gets 404 or 403.
VISITORS = {"A": "worker_a", "B": "worker_b", "X": "worker_x"}
# Care (issue 15): a plan is set by those who serve the resident; a worker's care task is
# seen by its worker and those who see the resident (the district admin too, masked); a
# volunteer task is taken by the volunteers of its community.
CARE_TASKS = {**HOUSEHOLDS, "district_admin": {"A", "B", "X"}}
REACH = {
    "resident": HOUSEHOLDS,
    "care task": CARE_TASKS,
    "volunteer task": {"volunteer": {"A", "B"}},
    "case": CASES,
    "household": HOUSEHOLDS,
    "roster": ROSTERS,
    "flag": FLAGS,
    "notice": {owner: {side} for side, owner in NOTICE_OWNERS.items()},
    "visit": {"worker_a": {"A"}, "worker_b": {"B"}},
    "visit photo": {},
}
PERSONAS = ("anonymous", "former_worker", *CASES)


@dataclass
class Place:
    case: Case
    photo_id: int
    household_id: int
    flag_id: int
    notice_id: int
    visit_id: int  # the cell worker's visit to the household (no photo)
    resident_id: int  # an elderly resident living alone in the household
    care_task_id: int  # a check-in of the cell worker's plan for that resident
    volunteer_task_id: int  # an open volunteer task for that resident
    code: str  # the case's tracking code
    cell: str  # the cell's full code
    marker: str  # in the case's title: no page outside its reach may show it
    community_id: int = 0  # the cell's community


@dataclass
class Route:
    method: str
    url: Callable[[Place], str]
    data: dict | Callable[[Place], dict]
    reach: str | None  # "case", "household", "flag", "notice"; None: no object (lists)
    api: bool = False


def _api(method, url, data=None, reach="case") -> Route:
    return Route(method, url, data or {}, reach, api=True)


def _page(method, url, data=None, reach="case") -> Route:
    return Route(method, url, data or {}, reach)


def _case(p: Place) -> str:
    return f"/api/v1/cases/{p.case.pk}/"


def _transition_body(action: str) -> Callable[[Place], dict]:
    """A body each action would accept in a state that allows it (the state decides the
    rest: an in-reach request may be a 400, 403 or 409, never a 404)."""
    bodies = {
        "reject": {"reason": "x"},
        "return": {"reason": "x"},
        "decline_reopen": {"reason": "x"},
        "verify_fail": {"reason": "x"},
        "suspend": {"reason": "x", "review_at": "2030-01-01T09:00:00+08:00"},
        "request_extension": {"reason": "x", "due_at": "2030-01-01T09:00:00+08:00"},
        "report": {"note": "x"},
        "verify_pass": {"note": "x"},
        "self_resolve": {"note": "x"},
    }
    return lambda p: bodies.get(action, {})


PERIOD = {"level": "cell", "start": "2026-01-01", "end": "2026-01-31"}
ROUTES: dict[str, list[Route]] = {
    # The API.
    "api:case-list": [_api("get", lambda p: "/api/v1/cases/", reach=None)],
    "api:case-detail": [_api("get", _case)],
    "api:case-events": [_api("get", lambda p: f"{_case(p)}events/")],
    **{
        f"api:case-{action.replace('_', '-')}": [
            _api("post", lambda p, a=action: f"{_case(p)}{a}/", _transition_body(action))
        ]
        for action in SERVICES
    },
    "api:case-merge": [_api("post", lambda p: f"{_case(p)}merge/", lambda p: {})],
    "api:case-supplement": [_api("post", lambda p: f"{_case(p)}supplement/", {"note": "x"})],
    "api:notification-list": [_api("get", lambda p: "/api/v1/notifications/", reach=None)],
    "api:case-nearby": [
        _api("get", lambda p: "/api/v1/cases/nearby/?lon=116.405&lat=39.905", reach=None)
    ],
    "indicator-cases": [_api("get", lambda p: "/api/v1/indicators/cases/", PERIOD, None)],
    "api:notification-read-all": [
        _api("post", lambda p: "/api/v1/notifications/read-all/", reach=None)
    ],
    "api:notification-read": [
        _api("post", lambda p: f"/api/v1/notifications/{p.notice_id}/read/", reach="notice")
    ],
    "api:visit-list": [
        _api("get", lambda p: "/api/v1/visits/", reach=None),
        _api(
            "post",
            lambda p: "/api/v1/visits/",
            lambda p: {"household": p.household_id, "note": "x"},
            "household",
        ),
    ],
    "api:visit-detail": [_api("get", lambda p: f"/api/v1/visits/{p.visit_id}/", reach="visit")],
    "api:visit-undo": [_api("post", lambda p: f"/api/v1/visits/{p.visit_id}/undo/", reach="visit")],
    "api:category-list": [_api("get", lambda p: "/api/v1/categories/", reach=None)],
    "api:department-list": [_api("get", lambda p: "/api/v1/departments/", reach=None)],
    "api:cell-list": [_api("get", lambda p: "/api/v1/cells/", reach=None)],
    "api:me": [_api("get", lambda p: "/api/v1/me/", reach=None)],
    "indicator-list": [_api("get", lambda p: "/api/v1/indicators/", PERIOD, None)],
    "indicator-trend": [_api("get", lambda p: "/api/v1/indicators/trend/", PERIOD, None)],
    "indicator-export": [
        _api("get", lambda p: "/api/v1/indicators/export/", {**PERIOD, "as": "csv"}, None)
    ],
    "satisfaction-callback": [
        _api(
            "post",
            lambda p: "/api/v1/satisfaction/callbacks/",
            lambda p: {"case": p.case.pk, "score": 5},
        )
    ],
    # Pages.
    "home": [_page("get", lambda p: "/", reach=None)],
    "report": [_page("get", lambda p: "/report/", reach=None)],
    "hotline": [_page("get", lambda p: "/hotline/", reach=None)],
    "queue": [
        _page("get", lambda p: "/queue/", reach=None),
        _page("get", lambda p: "/queue/?tab=overdue", reach=None),
    ],
    "department": [_page("get", lambda p: "/department/", reach=None)],
    "case-list": [_page("get", lambda p: "/cases/", reach=None)],
    "case-page": [_page("get", lambda p: f"/cases/{p.case.pk}/")],
    "case-photo": [_page("get", lambda p: f"/cases/{p.case.pk}/photos/{p.photo_id}/")],
    "case-photo-thumbnail": [
        _page("get", lambda p: f"/cases/{p.case.pk}/photos/{p.photo_id}/thumbnail/")
    ],
    "case-photo-public": [
        _page("post", lambda p: f"/cases/{p.case.pk}/photos/{p.photo_id}/public/", {"public": "1"})
    ],
    "case-action": [
        _page("post", lambda p, a=action: f"/cases/{p.case.pk}/act/{a}/", _transition_body(action))
        for action in SERVICES
    ],
    "inbox": [_page("get", lambda p: "/inbox/", reach=None)],
    "inbox-read-all": [_page("post", lambda p: "/inbox/read-all/", reach=None)],
    "case-photo-export": [
        _page("get", lambda p: f"/cases/{p.case.pk}/photos/{p.photo_id}/export/")
    ],
    "visit-undo": [_page("post", lambda p: f"/visits/{p.visit_id}/undo/", reach="visit")],
    "visit-photo": [_page("get", lambda p: f"/visits/{p.visit_id}/photo/", reach="visit photo")],
    "visit-photo-thumbnail": [
        _page("get", lambda p: f"/visits/{p.visit_id}/photo/thumbnail/", reach="visit photo")
    ],
    "inbox-read": [_page("post", lambda p: f"/inbox/{p.notice_id}/read/", reach="notice")],
    "household-visited": [
        _page(
            "post", lambda p: f"/households/{p.household_id}/visited/", {"note": "x"}, "household"
        )
    ],
    # Households and residents kept by those who serve them (issue 15).
    "households": [_page("get", lambda p: "/households/", reach=None)],
    "household-new": [_page("get", lambda p: "/households/new/", reach=None)],
    "household": [_page("get", lambda p: f"/households/{p.household_id}/", reach="household")],
    "household-edit": [
        _page("get", lambda p: f"/households/{p.household_id}/edit/", reach="household"),
        _page(
            "post", lambda p: f"/households/{p.household_id}/edit/", {"address": "x"}, "household"
        ),
    ],
    "household-move": [
        _page(
            "post",
            lambda p: f"/households/{p.household_id}/move/",
            lambda p: {"cell": 0},
            "household",
        )
    ],
    "resident-new": [
        _page("get", lambda p: f"/households/{p.household_id}/residents/new/", reach="household")
    ],
    "resident-edit": [
        _page("get", lambda p: f"/residents/{p.resident_id}/edit/", reach="resident")
    ],
    "resident-left": [
        _page(
            "post",
            lambda p: f"/residents/{p.resident_id}/left/",
            {"reason": "moved_out", "on": "2026-01-01"},
            "resident",
        )
    ],
    "roster": [_page("get", lambda p: "/households/roster/", reach=None)],
    "roster-template": [_page("get", lambda p: "/households/roster/template.xlsx", reach=None)],
    "roster-export": [
        _page(
            "get",
            lambda p: f"/households/roster/export.xlsx?community={p.community_id}",
            reach="roster",
        )
    ],
    "integrity:flags": [_page("get", lambda p: "/integrity/", reach=None)],
    "integrity:review": [
        _page("post", lambda p: f"/integrity/{p.flag_id}/dismiss/", {"note": "x"}, "flag")
    ],
    "integrity:photo": [
        _page("get", lambda p: f"/integrity/{p.flag_id}/photos/{p.photo_id}/", reach="flag")
    ],
    "integrity:photo-thumbnail": [
        _page(
            "get", lambda p: f"/integrity/{p.flag_id}/photos/{p.photo_id}/thumbnail/", reach="flag"
        )
    ],
    "dashboard": [_page("get", lambda p: "/dashboard/", reach=None)],
    "dashboard-cases": [_page("get", lambda p: "/dashboard/cases/", PERIOD, None)],
    "queue-bulk": [_page("post", lambda p: "/queue/bulk/", lambda p: {"cases": [p.case.pk]}, None)],
    "integrity:bulk-review": [
        _page("post", lambda p: "/integrity/bulk/", lambda p: {"flags": [p.flag_id]}, None)
    ],
    "care:index": [_page("get", lambda p: "/care/", reach=None)],
    "care:plan-new": [
        _page("get", lambda p: f"/care/residents/{p.resident_id}/plan/", reach="resident")
    ],
    "care:task": [_page("get", lambda p: f"/care/tasks/{p.care_task_id}/", reach="care task")],
    "care:volunteer": [_page("get", lambda p: "/care/volunteer/", reach=None)],
    "care:take": [
        _page(
            "post", lambda p: f"/care/volunteer/{p.volunteer_task_id}/take/", None, "volunteer task"
        )
    ],
    "care:hours": [_page("get", lambda p: "/care/hours/", reach=None)],
    "care:ledgers": [_page("get", lambda p: "/care/ledgers/", reach=None)],
    "care-api:volunteer-tasks": [
        _api("get", lambda p: "/api/v1/care/volunteer-tasks/", reach=None)
    ],
    "care-api:take": [
        _api(
            "post",
            lambda p: f"/api/v1/care/volunteer-tasks/{p.volunteer_task_id}/take/",
            reach="volunteer task",
        )
    ],
}
# Anyone may call these (the resident portal by tracking code or cell code, sign-in, the
# schema) or they answer only for the caller: checked for never a 5xx, and the portal for
# showing a private photo to nobody.
PUBLIC: dict[str, list[Route]] = {
    "healthz": [_page("get", lambda p: "/healthz", reach=None)],
    "pwa-manifest": [_page("get", lambda p: "/manifest.webmanifest", reach=None)],
    "pwa-service-worker": [_page("get", lambda p: "/sw.js", reach=None)],
    "tile": [_page("get", lambda p: "/tiles/1/1/1.png", reach=None)],
    "login": [_page("get", lambda p: "/accounts/login/", reach=None)],
    "logout": [_page("post", lambda p: "/accounts/logout/", reach=None)],
    "set_language": [_page("post", lambda p: "/i18n/setlang/", {"language": "en"}, None)],
    "api-schema": [_page("get", lambda p: "/api/schema/", reach=None)],
    "api-docs": [_page("get", lambda p: "/api/docs/", reach=None)],
    "api-token": [_api("post", lambda p: "/api/v1/auth/token/", {"username": "x"}, None)],
    "api-logout": [_api("post", lambda p: "/api/v1/auth/logout/", reach=None)],
    "api-logoutall": [_api("post", lambda p: "/api/v1/auth/logoutall/", reach=None)],
    "public:index": [_page("get", lambda p: "/public/", reach=None)],
    "public:report": [_page("get", lambda p: "/public/report/", reach=None)],
    "public:where": [_page("get", lambda p: "/public/where.json?lon=116.405&lat=39.905", None)],
    "public:area-json": [_page("get", lambda p: "/public/area.json", reach=None)],
    "public:track-lookup": [_page("get", lambda p: "/public/track/", reach=None)],
    "public:track": [_page("get", lambda p: f"/public/track/{p.code}/", reach=None)],
    "public:track-photo": [
        _page("get", lambda p: f"/public/track/{p.code}/photos/{p.photo_id}/", reach=None)
    ],
    "public:map": [_page("get", lambda p: "/public/map/", reach=None)],
    "public:map-json": [_page("get", lambda p: "/public/map.json", reach=None)],
    "public:photo": [_page("get", lambda p: f"/public/photos/{p.photo_id}/", reach=None)],
    "public:support": [
        _page("post", lambda p: f"/public/cases/{p.case.number}/support/", reach=None)
    ],
    "public:survey": [_page("get", lambda p: f"/public/survey/{p.cell}/", reach=None)],
    "public:poster": [_page("get", lambda p: f"/public/survey/{p.cell}/poster/", reach=None)],
    # Open311 GeoReport v2: anonymous reads under the public map's rules (tests/open311).
    "open311:root": [_page("get", lambda p: "/open311/v2/", reach=None)],
    "open311:discovery": [_page("get", lambda p: "/open311/v2/discovery.json", reach=None)],
    "open311:services": [_page("get", lambda p: "/open311/v2/services.xml", reach=None)],
    "open311:service": [_page("get", lambda p: "/open311/v2/services/C0101.json", reach=None)],
    "open311:requests": [_page("get", lambda p: "/open311/v2/requests.json", reach=None)],
    "open311:request": [
        _page("get", lambda p: f"/open311/v2/requests/{p.case.number}.json", reach=None)
    ],
    "open311:token": [_page("get", lambda p: "/open311/v2/tokens/x.json", reach=None)],
}


@pytest.fixture
def places(territory, street_staff, staff2, other_department, request) -> dict[str, Place]:  # noqa: F811
    cells = {"A": territory.cell_a, "B": territory.cell_b, "X": territory.cell_x}
    departments = {"A": territory.department, "B": other_department, "X": territory.department}
    staff = {"A": street_staff, "B": street_staff, "X": staff2}
    made = {}
    for side in SIDES:
        marker = f"leakmark{side}{side}"
        case = create_case(
            by=None,
            source="resident",
            contact=ReporterContact(phone="13912345678"),
            title=f"井盖丢失 {marker}",
            description="人行道上水井盖丢失",
            category_code="C0101",
            lon=POINTS[side][0],
            lat=POINTS[side][1],
            photos=[photo()],
        )
        SERVICES["accept"](case_id=case.pk, by=staff[side])
        case = SERVICES["dispatch"](
            case_id=case.pk, by=staff[side], department_id=departments[side].pk
        )
        owner = request.getfixturevalue(NOTICE_OWNERS[side])
        photo_id = case.attachments.get().pk
        household = HouseholdFactory(cell=cells[side])
        worker = request.getfixturevalue(VISITORS[side])
        resident, check_in, volunteer_task = _care_of(household, worker)
        flag = IntegrityFlag.objects.create(
            rule=Rule.REUSED_PHOTO, case=case, evidence={"photos": [{"attachment_id": photo_id}]}
        )
        made[side] = Place(
            case=case,
            photo_id=photo_id,
            household_id=household.pk,
            visit_id=Visit.objects.create(
                household=household, worker=request.getfixturevalue(VISITORS[side])
            ).pk,
            flag_id=flag.pk,
            notice_id=Notification.objects.create(
                user=owner, case=case, kind="reminder", message=f"{case.number} {marker}"
            ).pk,
            resident_id=resident.pk,
            care_task_id=check_in.pk,
            volunteer_task_id=volunteer_task.pk,
            code=case.tracking_code,
            cell=cells[side].full_code,
            marker=marker,
            community_id=cells[side].community_id,
        )
    return made


@pytest.fixture
def co_handler(territory):
    """A handler of 消防救援站, a department of the district with no case of its own."""
    fire = DepartmentFactory(district=territory.district, name="消防救援站", kind="fire")
    return assigned_user(
        Role.HANDLER, "district", territory.district, "co_handler", department=fire
    )


@pytest.fixture
def joint_a(places, co_handler, street_staff):
    """Case A with 消防救援站 as co-department (协办) and summoned to the site (吹哨)."""
    fire = co_handler.assignments.get().department
    case = places["A"].case
    SERVICES["add_codepartment"](case_id=case.pk, by=street_staff, department_id=fire.pk, note="x")
    SERVICES["summon"](case_id=case.pk, by=street_staff, department_ids=[fire.pk])
    return places


def _care_of(household, worker):
    """An elderly resident living alone in the household, a daily check-in plan of the cell's
    worker and a daily volunteer plan for them: (resident, today's check-in, volunteer task)."""
    alone = Tag.objects.get(code="elderly_alone")
    resident = ResidentFactory(household=household, tags=[alone])
    plans = [
        create_plan(
            by=worker,
            resident_id=resident.pk,
            tag_id=alone.pk,
            kind="call",
            responsible=responsible,
            worker_id=worker.pk,
            frequency="daily",
        )
        for responsible in ("worker", "volunteer")
    ]
    return resident, plans[0].tasks.first(), plans[1].tasks.first()


def _clients(request, persona: str) -> tuple[Client, APIClient]:
    page, api = Client(), APIClient()
    if persona != "anonymous":
        user = request.getfixturevalue(persona)
        page.force_login(user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)[1]}")
    return page, api


def _send(client, route: Route, place: Place):
    """One request in a savepoint rolled back after it."""
    data = route.data(place) if callable(route.data) else route.data
    extra = {"format": "json"} if route.api and route.method == "post" else {}
    with transaction.atomic():
        response = getattr(client, route.method)(route.url(place), data, **extra)
        transaction.set_rollback(True)
    return response


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return ""  # photos: their bytes name no case
    return response.content.decode(errors="replace")


def _verdict(persona: str, route: Route, side: str, response, places: dict[str, Place]):
    """None if the answer is what ``persona`` should get, else why not."""
    code = response.status_code
    if code >= 500:
        return "5xx"
    if persona == "anonymous":
        # Signed out: the sign-in page, or the portal for the home page.
        signs_in = code == 302 and response["Location"].startswith(("/accounts/login/", "/public/"))
        challenged = route.api and code == 401 and response["WWW-Authenticate"].startswith("Token")
        return None if challenged or signs_in else "not refused"
    if persona == "former_worker":
        return None if code == 403 else "not refused"
    if route.reach is not None:
        in_reach = side in REACH[route.reach].get(persona, set())
        if in_reach and code == 404:
            return "in reach but 404"
        if not in_reach and code not in (403, 404):
            return "LEAK: out of reach but answered"
    body = _body(response)
    shown = {s for s, p in places.items() if p.marker in body}
    if shown - CASES[persona]:
        return f"LEAK: shows cases of {sorted(shown - CASES[persona])}"
    return None


def test_every_route_is_in_the_matrix():
    routes = _route_names(get_resolver().url_patterns)
    assert routes - set(ROUTES) - set(PUBLIC) == set()
    assert set(ROUTES) | set(PUBLIC) <= routes  # no stale entry
    for name, routes_of_name in {**ROUTES, **PUBLIC}.items():
        for route in routes_of_name:
            place = Place(
                Case(pk=1, number="n"), 1, 1, 1, 1, 1, 1, 1, 1, "code", "110105001001001", "m"
            )
            path = route.url(place).split("?")[0]
            assert resolve(path).view_name == name, (name, path)


def test_no_persona_reaches_beyond_its_scope(
    request, places, former_worker, volunteer, functional_worker
):
    started, sent, failures = time.perf_counter(), 0, []
    for persona in PERSONAS:
        page, api = _clients(request, persona)
        for name, routes in ROUTES.items():
            for route in routes:
                sides = SIDES if route.reach else ("A",)
                for side in sides:
                    response = _send(api if route.api else page, route, places[side])
                    sent += 1
                    why = _verdict(persona, route, side, response, places)
                    if why:
                        failures.append((persona, name, side, response.status_code, why))
    leaks = [f for f in failures if f[4].startswith("LEAK")]
    print(f"\npermission matrix: {sent} requests, {len(leaks)} leaks, ", end="")
    print(f"{time.perf_counter() - started:.1f} s")
    assert failures == [], "\n".join(map(str, failures))
    assert Case.objects.filter(status="dispatched").count() == len(SIDES)


def test_public_routes_never_5xx_nor_show_a_private_photo(request, places, volunteer):
    for persona in ("anonymous", "volunteer", "district_admin"):
        page, api = _clients(request, persona)
        for name, routes in PUBLIC.items():
            for route in routes:
                for place in places.values():
                    response = _send(api if route.api else page, route, place)
                    assert response.status_code < 500, (persona, name)
                    if name == "public:photo":
                        assert response.status_code == 404  # not marked publishable
    # Sanity: the routes' pattern names above are real (a renamed route fails here too).
    assert all(re.fullmatch(r"[\w:-]+", name) for name in {**ROUTES, **PUBLIC})


# What a co-department's handler may do on its joint case (case A, dispatched): report its
# part and check in on site; nothing of the lead's, the street's or a verifier's.
CO_HANDLER_MAY = {"report_part", "check_in"}
CO_HANDLER_BODIES = {
    "report_part": {"note": "x"},
    "check_in": {"lon": POINTS["A"][0], "lat": POINTS["A"][1], "accuracy": 10},
}


def test_a_co_department_handler_acts_on_its_part_only(request, joint_a):
    _page, api = _clients(request, "co_handler")
    case = joint_a["A"].case
    for action in SERVICES:
        body = CO_HANDLER_BODIES.get(action) or _transition_body(action)(joint_a["A"])
        response = _send(
            api,
            Route("post", lambda p, a=action: f"{_case(p)}{a}/", body, "case", True),
            joint_a["A"],
        )
        if action in CO_HANDLER_MAY:
            assert response.status_code == 200, (action, response.content)
        else:
            assert response.status_code in (403, 409), (action, response.status_code)
    assert set(api.get(_case(joint_a["A"])).json()["allowed_actions"]) == CO_HANDLER_MAY
    for side in ("B", "X"):
        assert api.get(_case(joint_a[side])).status_code == 404
    listed = {c["id"] for c in api.get("/api/v1/cases/").json()["results"]}
    assert listed == {case.pk}
