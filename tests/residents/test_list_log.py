"""List views and exports of personal data are logged: one row per view (who, when, which
list, which filter, how many rows shown), not one per resident."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from residents.crypto import pii_hash
from residents.models import PIIListLog, Resident, Tag

from ..factories import ResidentFactory
from .conftest import ID_A, ID_A_MASKED, PHONE_A, PHONE_A_MASKED

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:residents_resident_changelist"


def test_a_resident_list_view_is_one_log_row(people, admin_as, street_staff):
    client = admin_as(street_staff)
    tag = Tag.objects.get(code="child")
    client.get(reverse(CHANGELIST), {"gender__exact": "F", "tag": tag.pk})
    client.get(reverse(CHANGELIST))
    first, second = PIIListLog.objects.order_by("pk")
    assert (first.user, first.kind, first.where, first.rows) == (
        street_staff,
        PIIListLog.Kind.LIST,
        "admin:residents.resident",
        0,
    )
    assert first.filters == {"gender__exact": "F", "tag": str(tag.pk)}
    assert (second.rows, second.filters, second.search_kind) == (2, {}, "")


def test_the_rows_counted_are_the_rows_shown(people, admin_as, district_admin, territory):
    ResidentFactory.create_batch(3, household__cell=territory.cell_a)
    client = admin_as(district_admin)
    client.get(reverse(CHANGELIST), {"q": "王芳"})
    log = PIIListLog.objects.get()
    assert log.rows == 1 and log.search_kind == "text" and log.search_hash == pii_hash("王芳")


def test_household_list_is_logged_too(people, admin_as, street_staff):
    admin_as(street_staff).get(reverse("admin:residents_household_changelist"))
    log = PIIListLog.objects.get()
    assert (log.where, log.rows) == ("admin:residents.household", 2)


def test_a_list_that_is_not_shown_is_not_logged(people, admin_as, street_staff):
    client = admin_as(street_staff)
    response = client.get(reverse(CHANGELIST), {"tag": "no-such-tag"})
    assert response.status_code == 302  # the admin's "?e=1" answer
    assert not PIIListLog.objects.exists()


@pytest.mark.parametrize(
    "lookup",
    [
        {"birth_date__gte": "1949-07-01"},  # would bisect a birth date beside the mask
        {"name": "王芳"},  # would confirm a masked name
        {"household__address__contains": "1号楼"},
        {"tags__id__exact": "1"},  # the sensitive-tag rule would be bypassed
    ],
)
def test_the_url_may_filter_by_the_list_filters_only(people, admin_as, district_admin, lookup):
    response = admin_as(district_admin).get(reverse(CHANGELIST), lookup)
    assert response.status_code == 400
    assert not PIIListLog.objects.exists()


def test_export_is_masked_and_logged_once(people, admin_as, street_staff, district_admin):
    selection = {
        "action": "export_csv",
        ACTION_CHECKBOX_NAME: [people.a.pk, people.b.pk, people.x.pk],
    }
    response = admin_as(street_staff).post(reverse(CHANGELIST), selection)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3  # the header and street 1's two: cell X is not theirs
    text = response.content.decode("utf-8-sig")
    assert ID_A_MASKED.replace("002X", "002*") in text and PHONE_A_MASKED in text
    assert ID_A not in text and PHONE_A not in text and "1949-12-31" not in text
    assert "王芳" in text  # street staff serve street 1
    log = PIIListLog.objects.get(kind=PIIListLog.Kind.EXPORT)
    assert (log.user, log.rows, log.where) == (street_staff, 2, "admin:residents.resident")

    overseen = admin_as(district_admin).post(reverse(CHANGELIST), selection)
    text = overseen.content.decode("utf-8-sig")
    assert "王芳" not in text and "王*" in text


def test_export_query_count_does_not_grow_with_rows(people, admin_as, district_admin, territory):
    client = admin_as(district_admin)

    def count() -> int:
        ids = list(Resident.objects.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                reverse(CHANGELIST), {"action": "export_csv", ACTION_CHECKBOX_NAME: ids}
            )
            assert response.status_code == 200
        return len(ctx.captured_queries)

    small = count()
    ResidentFactory.create_batch(
        8, household__cell=territory.cell_b, tags=list(Tag.objects.all()[:3])
    )
    assert count() == small


def test_access_log_lists_are_read_only(people, admin_as, district_admin):
    client = admin_as(district_admin)
    client.get(reverse(CHANGELIST))
    log = PIIListLog.objects.get()
    url = reverse("admin:residents_piilistlog_changelist")
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:residents_piilistlog_add")).status_code == 403
    change = reverse("admin:residents_piilistlog_change", args=[log.pk])
    assert client.post(change, {"rows": 0}).status_code == 403
    assert PIIListLog.objects.get().rows == log.rows


@pytest.mark.parametrize(
    "name",
    [
        "admin:residents_household_changelist",
        "admin:residents_tag_changelist",
        "admin:residents_piiaccesslog_changelist",
        "admin:residents_piilistlog_changelist",
    ],
)
def test_other_admin_lists_query_count_does_not_grow_with_rows(
    name, people, admin_as, district_admin, territory
):
    from residents.services import record_list_view, reveal_resident_pii

    client = admin_as(district_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(name)).status_code == 200
        return len(ctx.captured_queries)

    def more() -> None:
        for resident in ResidentFactory.create_batch(4, household__cell=territory.cell_b):
            resident.tags.add(Tag.objects.get(code="disabled"))
            reveal_resident_pii(resident_id=resident.pk, by=district_admin, reason="核对")
            record_list_view(by=district_admin, where="test", rows=1)

    more()
    small = count()
    more()
    more()
    assert count() == small
