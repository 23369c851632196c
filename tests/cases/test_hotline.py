"""The street office's hotline page (热线): a call filed as the caller's case, with their
contact and a tracking code read out once."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case, CaseContact

from .personas import POINT_A, POINT_X

pytestmark = pytest.mark.django_db


def _call(**extra) -> dict:
    return {
        "description": "来电：小区门口路灯一周不亮",
        "category": "C0104",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        "phone": "13712345678",
        "name": "李先生",
        **extra,
    }


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_street_staff_file_a_call_and_read_out_its_code(cast):
    response = _as(cast.staff).post("/hotline/", _call())
    assert response.status_code == 200
    case = Case.objects.get()
    assert (case.source, case.reporter, case.street) == (
        "hotline",
        cast.staff,
        cast.territory.street1,
    )
    assert CaseContact.objects.get(case=case).name == "李先生"
    code = case.tracking_code
    assert f"{code[:5]}-{code[5:]}" in response.content.decode()
    # The case page never shows it again (workers of the cell see the case too).
    assert code not in _as(cast.staff).get(f"/cases/{case.pk}/").content.decode()


def test_only_street_staff_take_calls_and_only_in_their_street(cast):
    assert _as(cast.reporter).get("/hotline/").status_code == 403
    assert _as(cast.reporter).post("/hotline/", _call()).status_code == 403
    response = _as(cast.staff).post("/hotline/", _call(lon=POINT_X[0], lat=POINT_X[1]))
    assert response.status_code == 400
    assert not Case.objects.exists()
