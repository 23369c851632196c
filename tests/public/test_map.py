"""What anyone may see (the public map, "already reported nearby", "me too"): public
categories of the last 90 days, rounded locations, no person and no free text."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseStatus
from cases.services import create_case
from grids.geometry import haversine_m
from public.selectors import public_point

from ..cases.personas import POINT_A, POINT_B, POINT_NOWHERE, act, case_in, new_case, photo

pytestmark = pytest.mark.django_db


def _file(cast, *, category="C0101", point=POINT_A, description="井盖缺失，王大爷差点摔倒"):
    return create_case(
        by=cast.reporter if point == POINT_A else cast.worker_b,
        title="东门踩空",
        description=description,
        category_code=category,
        lon=point[0],
        lat=point[1],
        photos=[photo()],
    )


def test_the_public_map_shows_public_cases_without_people_text_or_exact_places(cast):
    shown = _file(cast)
    private = _file(cast, category="S0101", description="独居老人张大爷需要关爱")
    rejected = act(cast, "reject", _file(cast), reason="重复上报")
    old = _file(cast)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    data = Client().get("/public/map.json").json()
    numbers = {f["properties"]["number"] for f in data["features"]}
    assert numbers == {shown.number}
    assert {private.number, rejected.number, old.number}.isdisjoint(numbers)
    (feature,) = data["features"]
    lon, lat = feature["geometry"]["coordinates"]
    assert (lon, lat) != (shown.lon, shown.lat)
    assert haversine_m(lon, lat, shown.lon, shown.lat) <= 50  # within one ~50 m grid cell
    body = json.dumps(data, ensure_ascii=False) + Client().get("/public/map/").content.decode()
    for secret in ("王大爷", "张大爷", cast.reporter.username, "独居老人关爱", shown.title):
        assert secret not in body, secret


def test_nearby_points_snap_to_the_same_rounded_place(db):
    a = public_point(116.40500, 39.90500)
    b = public_point(116.40501, 39.90501)
    assert a == b


def test_map_queries_do_not_grow_with_the_cases(cast):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get("/public/map.json").status_code == 200
            assert Client().get("/public/map/").status_code == 200
        return len(ctx)

    _file(cast)
    few = queries()
    for _ in range(6):
        _file(cast)
    assert queries() == few


def test_where_says_outside_the_district_and_lists_open_reports_within_100_m(cast):
    outside = Client().get("/public/where.json", {"lon": POINT_NOWHERE[0], "lat": POINT_NOWHERE[1]})
    assert outside.json()["inside"] is False and "outside the district" in outside.json()["message"]
    assert Client().get("/public/where.json", {"lon": "x", "lat": "1"}).status_code == 400
    near = _file(cast)
    far = _file(cast, point=POINT_B)  # about 850 m east
    closed = case_in(cast, CaseStatus.CLOSED)
    where = Client().get("/public/where.json", {"lon": POINT_A[0], "lat": POINT_A[1]}).json()
    assert where["inside"] and where["cell"] == "A"
    numbers = [f["properties"]["number"] for f in where["nearby"]]
    assert near.number in numbers and far.number not in numbers and closed.number not in numbers


def test_me_too_counts_once_per_browser_and_only_on_open_public_cases(cast):
    case = _file(cast)
    browser = Client()
    url = f"/public/cases/{case.number}/support/"
    assert browser.post(url).json() == {"supporters": 1}
    assert browser.post(url).json() == {"supporters": 1}  # the same browser again
    assert Client().post(url).json() == {"supporters": 2}
    private = _file(cast, category="S0101")
    assert Client().post(f"/public/cases/{private.number}/support/").status_code == 404
    closed = case_in(cast, CaseStatus.CLOSED)
    assert Client().post(f"/public/cases/{closed.number}/support/").status_code == 409
    assert Client().get(url).status_code == 405


def test_only_photos_staff_published_are_public(cast):
    case = _file(cast)
    report_photo = case.attachments.get()
    url = f"/public/photos/{report_photo.pk}/"
    assert Client().get(url).status_code == 404
    staff = Client()
    staff.force_login(cast.staff)
    publish = f"/cases/{case.pk}/photos/{report_photo.pk}/public/"
    assert staff.post(publish, {"public": "1"}).status_code == 302
    assert Client().get(url).status_code == 200
    worker = Client()
    worker.force_login(cast.reporter)
    assert worker.post(publish, {"public": "0"}).status_code == 403
    assert staff.post(publish, {"public": "0"}).status_code == 302
    assert Client().get(url).status_code == 404
    private = _file(cast, category="S0101")
    private_photo = private.attachments.get()
    response = staff.post(f"/cases/{private.pk}/photos/{private_photo.pk}/public/", {"public": "1"})
    assert response.status_code == 400


def test_the_case_page_shows_street_staff_a_masked_contact_and_supporters(cast):
    case = new_case(cast, resident=True)
    Client().post(f"/public/cases/{case.number}/support/")
    staff = Client()
    staff.force_login(cast.staff)
    page = staff.get(f"/cases/{case.pk}/").content.decode()
    assert "139****5678" in page and "13912345678" not in page
    assert "1 resident reports the same problem" in page
    worker = Client()
    worker.force_login(cast.reporter)
    assert "139****5678" not in worker.get(f"/cases/{case.pk}/").content.decode()
