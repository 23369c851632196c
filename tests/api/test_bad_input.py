"""Bad input never answers 500 (issue 10, item 5): extensions past what the calendar computes,
JSON nested deeper than anyone writes, NUL bytes and overlong numbers in every kind of path,
query and form parameter. Each answer is 400 with the field or 404, and the case is untouched.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from cases.models import Case, Category
from cases.models.categories import MAX_EXTENSION_DAYS
from integrity.models import IntegrityFlag, Rule
from residents.models import Visit
from workflows.calendar import LimitUnit, TimeLimit, WorkingCalendar

from ..cases.personas import act, as_user, case_in, new_case  # noqa: F401  (as_user: a fixture)
from ..factories import HouseholdFactory

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


def _deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# --- extensions -------------------------------------------------------------------------------


@pytest.mark.parametrize("years", [1.8, 3, 50, 7000])
def test_an_extension_past_the_categorys_maximum_is_a_field_error(cast, client_for, years):
    case = case_in(cast, "handling")
    asked = (timezone.now() + timedelta(days=365 * years)).isoformat()
    response = client_for(cast.handler).post(
        f"{CASES}{case.pk}/request_extension/", {"reason": "等料", "due_at": asked}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "due_at" in response.json()
    case.refresh_from_db()
    assert case.requested_due_at is None


def test_the_longest_extension_allowed_is_approved_and_computed(cast, client_for):
    """The maximum is the category's ``max_extension_days`` working days after the current
    deadline, on the working calendar."""
    case = case_in(cast, "handling")
    Category.objects.filter(pk=case.category_id).update(max_extension_days=7)
    handler, staff = client_for(cast.handler), client_for(cast.staff)
    url = f"{CASES}{case.pk}/request_extension/"
    latest = WorkingCalendar.load().add(case.due_at, TimeLimit(7, LimitUnit.WORKING_DAYS))
    beyond = {"reason": "等料", "due_at": (latest + timedelta(minutes=1)).isoformat()}
    refusal = handler.post(url, beyond, format="json").json()["due_at"][0]
    assert "7 working days" in refusal
    assert timezone.localtime(latest).strftime("%Y-%m-%d %H:%M") in refusal
    body = {"reason": "等料", "due_at": latest.isoformat()}
    assert handler.post(url, body, format="json").status_code == 200
    response = staff.post(f"{CASES}{case.pk}/approve_extension/", {}, format="json")
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.due_at == latest and case.remind_at < latest


def test_the_case_page_says_the_maximum_and_refuses_past_it(cast, as_user):  # noqa: F811
    case = case_in(cast, "handling")
    page = as_user(cast.handler)
    shown = page.get(f"/cases/{case.pk}/").content.decode()
    assert "at most 20 working days past the current one" in shown
    far = timezone.localtime(case.due_at + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    response = page.post(
        f"/cases/{case.pk}/act/request_extension/", {"reason": "等料", "due_at": far}
    )
    assert response.status_code == 400
    assert "working days for this category" in response.content.decode()
    case.refresh_from_db()
    assert case.requested_due_at is None


def test_extensions_in_a_row_stop_at_a_working_year_from_now(cast, client_for):
    """However generous the category, chained extensions never reach a deadline the calendar
    cannot compute (its reminder at approval used to raise ValueError: a 500)."""
    case = case_in(cast, "handling")
    Category.objects.filter(pk=case.category_id).update(max_extension_days=MAX_EXTENSION_DAYS)
    handler, staff = client_for(cast.handler), client_for(cast.staff)
    url = f"{CASES}{case.pk}/request_extension/"
    horizon = TimeLimit(MAX_EXTENSION_DAYS, LimitUnit.WORKING_DAYS)
    for _round in range(2):
        case.refresh_from_db()
        latest = WorkingCalendar.load().add(timezone.now(), horizon)
        body = {"reason": "等料", "due_at": (latest - timedelta(hours=1)).isoformat()}
        if latest - timedelta(hours=1) <= case.due_at:
            break
        assert handler.post(url, body, format="json").status_code == 200
        approved = staff.post(f"{CASES}{case.pk}/approve_extension/", {}, format="json")
        assert approved.status_code == 200, approved.content
    beyond = {"reason": "等料", "due_at": (latest + timedelta(days=30)).isoformat()}
    response = handler.post(url, beyond, format="json")
    assert response.status_code == 400 and "due_at" in response.json()


@pytest.mark.parametrize(
    ("field", "value", "unit"),
    [
        ("handle_limit", "9999.99", "working_days"),
        ("accept_limit", "1751", "working_hours"),
        ("urgent_limit_hours", "6001", "working_hours"),
    ],
)
def test_a_category_limit_past_a_working_year_is_a_field_error(db, field, value, unit):
    category = Category.objects.get(code="C0101")
    setattr(category, field, Decimal(value))
    category.limit_unit = unit
    with pytest.raises(ValidationError) as refused:
        category.full_clean()
    assert field in refused.value.message_dict


def test_a_stored_request_beyond_the_calendar_is_refused_at_approval_not_500(cast, client_for):
    """A request stored before the bound existed (or by hand) is refused with a field error."""
    case = case_in(cast, "handling")
    Case.objects.filter(pk=case.pk).update(
        requested_due_at=timezone.now() + timedelta(days=365 * 30)
    )
    response = client_for(cast.staff).post(
        f"{CASES}{case.pk}/approve_extension/", {}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "due_at" in response.json()


# --- deep and malformed JSON ------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_is_a_400_even_before_sign_in(db, depth):
    response = Client().post("/api/v1/auth/token/", _deep(depth), content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_deeply_nested_json_is_a_400_on_every_write(cast, client_for):
    case = new_case(cast)
    client = client_for(cast.staff)
    for url in (CASES, f"{CASES}{case.pk}/accept/", "/api/v1/satisfaction/callbacks/"):
        response = client.post(url, _deep(1000), content_type="application/json")
        assert response.status_code == 400, (url, response.content[:200])
    assert Case.objects.get(pk=case.pk).status == "collected"


@pytest.mark.parametrize(
    "body",
    ["{", "[1,", '{"title": "\\ud800"}', "\x00", '{"a": NaN}', '"just a string"', "[]", "null"],
)
def test_malformed_json_is_a_400(cast, client_for, body):
    response = client_for(cast.reporter).post(CASES, body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]


def test_a_body_over_djangos_limit_is_a_400(cast, client_for):
    """``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB): Django refuses the body before it is parsed."""
    big = '{"title": "' + "x" * 3_000_000 + '"}'
    assert (
        Client().post("/api/v1/auth/token/", big, content_type="application/json").status_code
        == 400
    )
    response = client_for(cast.reporter).post(CASES, big, content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()
    assert Case.objects.count() == 0


# --- NUL bytes and numbers too big for the database --------------------------------------------

NUL = "%00"
HUGE = "9" * 30


def _page_urls(case_pk: int) -> list[str]:
    return [
        f"/public/track/{NUL}/",
        f"/public/track/{NUL}/photos/1/",
        f"/public/track/?code={NUL}",
        f"/public/survey/{NUL}/",
        f"/public/survey/{NUL}/poster/",
        f"/public/cases/{NUL}/support/",
        f"/public/where.json?lon={NUL}&lat=1",
        f"/public/map.json?bbox={NUL}",
        f"/public/photos/{HUGE}/",
        f"/cases/{HUGE}/",
        f"/cases/{case_pk}/photos/{HUGE}/",
        f"/cases/{case_pk}/act/{NUL}/",
        f"/cases/?status={NUL}&q={NUL}",
        f"/queue/?tab={NUL}",
        f"/integrity/{HUGE}/{NUL}/",
        f"/dashboard/?level={NUL}&start={NUL}",
        f"/{NUL}/",
        f"/?next={NUL}",
        f"/accounts/login/?next={NUL}",
        f"/open311/v2/requests/{NUL}.json",
        f"/open311/v2/services/{NUL}.xml",
        f"/open311/v2/requests.json?service_code={NUL}&status={NUL}&start_date={NUL}",
    ]


def _api_urls(case_pk: int) -> list[str]:
    return [
        f"{CASES}?status={NUL}&category={NUL}&cell={NUL}&street={NUL}&created_after={NUL}",
        f"{CASES}?page={NUL}&page_size={NUL}",
        f"{CASES}?page={HUGE}&street={HUGE}&overdue={NUL}",
        f"{CASES}{HUGE}/",
        f"{CASES}{NUL}/",
        f"/api/v1/cells/?lon={NUL}&lat={NUL}",
        f"/api/v1/indicators/?level={NUL}&start={NUL}&end={NUL}",
        f"/api/v1/indicators/trend/?level=cell&unit={NUL}&start=2026-01-01&end=2026-01-31",
        f"/api/v1/indicators/export/?as={NUL}&level=cell&start=2026-01-01&end=2026-01-31",
        f"/api/v1/notifications/?page={NUL}",
        f"/api/schema/?format={NUL}&lang={NUL}",
    ]


def test_nul_bytes_and_huge_ids_in_pages_are_400_or_404(cast, district_admin, client):
    case = new_case(cast)
    client.force_login(district_admin)
    answers = {url: client.get(url).status_code for url in _page_urls(case.pk)}
    assert {url: code for url, code in answers.items() if code not in (400, 404)} == {}


def test_nul_bytes_and_huge_ids_in_the_api_are_400_or_404(cast, district_admin, client_for):
    case = new_case(cast)
    client = client_for(district_admin)
    answers = {url: client.get(url) for url in _api_urls(case.pk)}
    assert {
        url: r.status_code for url, r in answers.items() if r.status_code not in (400, 404)
    } == {}
    assert all("detail" in r.json() or r.status_code == 400 for r in answers.values())


def test_nul_bytes_in_forms_and_bodies_are_field_errors(cast, client_for, client):
    case = new_case(cast)
    staff = client_for(cast.staff)
    response = staff.post(f"{CASES}{case.pk}/reject/", {"reason": "a\x00b"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = staff.post(
        f"{CASES}{case.pk}/accept/", {"category": "C01\x00", "cell": "\x00"}, format="json"
    )
    assert response.status_code == 400, response.content
    response = client.post("/api/v1/auth/token/", {"username": "x\x00", "password": "\x00"})
    assert response.status_code == 400
    client.force_login(cast.staff)
    assert client.post(f"/inbox/{HUGE}/read/").status_code == 404
    household = HouseholdFactory(cell=cast.territory.cell_a)
    flag = IntegrityFlag.objects.create(rule=Rule.NEAR_DUPLICATE, case=case)
    response = client.post(f"/households/{household.pk}/visited/", {"note": "a\x00b"})
    assert response.status_code == 400
    urlencoded = client.post(
        f"/households/{household.pk}/visited/",
        "note=a%00b",
        content_type="application/x-www-form-urlencoded",
    )
    assert urlencoded.status_code == 400
    response = client.post(
        f"/integrity/{flag.pk}/dismiss/", {"note": "a\x00b"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    flag.refresh_from_db()
    assert flag.status == "open" and not Visit.objects.exists()
    response = client.post(f"/cases/{case.pk}/act/reject/", {"reason": "a\x00b"})
    assert response.status_code in (200, 400)
    response = Client().post("/public/track/", {"code": "\x00"})
    assert response.status_code in (200, 302, 400, 404, 405)
    assert Case.objects.get(pk=case.pk).status == "collected"


def test_an_anonymous_call_is_401_with_a_challenge(db):
    response = Client().get(CASES)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Token")


def test_a_merge_into_a_huge_id_is_a_field_error(cast, client_for):
    case = new_case(cast)
    act(cast, "accept", case)
    response = client_for(cast.staff).post(
        f"{CASES}{case.pk}/merge/", {"duplicate_of": int(HUGE)}, format="json"
    )
    assert response.status_code == 400, response.content
