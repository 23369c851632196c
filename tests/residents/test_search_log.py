"""Searching residents by a whole ID number or phone confirms one of the numbers a mask leaves
(``139****5678``: 10⁴), so every such search is logged (who, when, what kind, a keyed hash of
the number, how many found) and limited per user (``RESIDENT_NUMBER_SEARCHES_PER_HOUR``)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_ratelimit.exceptions import Ratelimited

from residents.crypto import pii_hash
from residents.models import PIIListLog
from residents.services import search_residents_by_number

from .conftest import ID_A, PHONE_A

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:residents_resident_changelist"


def test_admin_search_by_whole_id_number_is_logged_with_a_hash(people, admin_as, street_staff):
    client = admin_as(street_staff)
    html = client.get(reverse(CHANGELIST), {"q": ID_A.lower()}).content.decode()
    assert "王芳" in html and "李娜" not in html
    search = PIIListLog.objects.get(kind=PIIListLog.Kind.SEARCH)
    assert (search.user, search.search_kind, search.rows) == (street_staff, "id_number", 1)
    assert search.search_hash == pii_hash(ID_A) and search.where == "admin"
    assert ID_A not in str(_all_columns()) and ID_A[6:14] not in str(_all_columns())


def test_admin_search_by_whole_phone_is_logged(people, admin_as, street_staff):
    client = admin_as(street_staff)
    html = client.get(reverse(CHANGELIST), {"q": "+86 139 1234 5678"}).content.decode()
    assert "王芳" in html
    search = PIIListLog.objects.get(kind=PIIListLog.Kind.SEARCH)
    assert (search.search_kind, search.rows, search.search_hash) == ("phone", 1, pii_hash(PHONE_A))
    assert PHONE_A[3:] not in str(_all_columns())


def test_a_search_out_of_scope_finds_nothing_and_is_still_logged(people, admin_as, worker_b):
    html = admin_as(worker_b).get(reverse(CHANGELIST), {"q": ID_A}).content.decode()
    assert "王芳" not in html
    assert PIIListLog.objects.get(kind=PIIListLog.Kind.SEARCH).rows == 0


def test_name_search_is_not_a_number_search(people, admin_as, street_staff):
    admin_as(street_staff).get(reverse(CHANGELIST), {"q": "王芳"})
    assert not PIIListLog.objects.filter(kind=PIIListLog.Kind.SEARCH).exists()
    view = PIIListLog.objects.get(kind=PIIListLog.Kind.LIST)
    assert view.search_kind == "text" and "王芳" not in str(_all_columns())


def test_whole_number_searches_are_limited_per_user(
    people, admin_as, street_staff, worker_a, settings
):
    settings.RESIDENT_NUMBER_SEARCHES_PER_HOUR = 3
    client = admin_as(street_staff)
    for _ in range(3):
        assert client.get(reverse(CHANGELIST), {"q": ID_A}).status_code == 200
    response = client.get(reverse(CHANGELIST), {"q": PHONE_A})
    assert response.status_code == 429
    assert "at most 3" in response.content.decode()
    assert "王芳" not in response.content.decode()
    refused = PIIListLog.objects.filter(kind=PIIListLog.Kind.SEARCH).latest("pk")
    assert refused.refused and refused.rows is None
    # Name searches, and other users, go on.
    assert client.get(reverse(CHANGELIST), {"q": "王芳"}).status_code == 200
    assert admin_as(worker_a).get(reverse(CHANGELIST), {"q": ID_A}).status_code == 200


def test_the_api_answer_to_the_limit_is_json(people, admin_as, street_staff, settings):
    settings.RESIDENT_NUMBER_SEARCHES_PER_HOUR = 1
    client = admin_as(street_staff)
    client.get(reverse(CHANGELIST), {"q": ID_A})
    response = client.get(reverse(CHANGELIST), {"q": ID_A}, HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    assert "at most 1" in response.json()["detail"]


def test_the_service_is_scoped_logged_and_limited(people, worker_a, worker_b, settings):
    settings.RESIDENT_NUMBER_SEARCHES_PER_HOUR = 2
    assert list(
        search_residents_by_number(by=worker_a, number="+86 139-1234-5678", where="hotline")
    ) == [people.a]
    assert not search_residents_by_number(by=worker_b, number=ID_A, where="hotline").exists()
    assert list(search_residents_by_number(by=worker_a, number=ID_A, where="hotline")) == [people.a]
    with pytest.raises(Ratelimited, match="at most 2"):
        search_residents_by_number(by=worker_a, number=ID_A, where="hotline")
    logs = PIIListLog.objects.filter(kind=PIIListLog.Kind.SEARCH).order_by("pk")
    assert [(log.user, log.where, log.search_kind, log.rows, log.refused) for log in logs] == [
        (worker_a, "hotline", "phone", 1, False),
        (worker_b, "hotline", "id_number", 0, False),
        (worker_a, "hotline", "id_number", 1, False),
        (worker_a, "hotline", "id_number", None, True),
    ]


def test_the_service_ignores_what_is_not_a_whole_number(people, worker_a):
    for text in ("王芳", "1391234", "110105********002X", ""):
        assert not search_residents_by_number(by=worker_a, number=text, where="hotline").exists()
    assert not PIIListLog.objects.exists()


def _all_columns() -> list[tuple]:
    return list(PIIListLog.objects.values_list())
