"""Who sees names, addresses and sensitive tags whole (DESIGN §1, §6).

Those who serve a resident (grid and functional workers of the cell, street staff of the
street) see the name, the address and every tag. Those who only oversee (district admins,
superusers) see ``王*``, the road without the door, and sensitive tags as a count; the whole
values only through the logged reveal.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from residents.masking import mask_address, mask_name
from residents.models import PIIAccessLog, Resident, Tag
from residents.services import reveal_resident_pii

from ..factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:residents_resident_changelist"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("王芳", "王*"), ("张小明", "张*明"), ("欧阳娜娜", "欧**娜"), ("王", "*"), ("", "")],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("光华路12号院3号楼2单元1203", "光华路****"),
        ("一社区123号", "一社区****"),
        ("12号楼", "****"),
        ("", ""),
    ],
)
def test_mask_address(address, masked):
    assert mask_address(address) == masked


@pytest.fixture
def tagged(people):
    people.a.tags.add(*Tag.objects.filter(code__in=["disabled", "low_income", "elderly_alone"]))
    return people


def test_street_staff_serve_their_street_and_see_names_addresses_and_tags(
    tagged, admin_as, street_staff
):
    html = admin_as(street_staff).get(reverse(CHANGELIST)).content.decode()
    assert "王芳" in html and "李娜" in html
    assert tagged.a.household.address in html
    assert "残疾人" in html and "低保/困难户" in html and "独居老人" in html


@pytest.mark.parametrize("persona", ["district_admin", "superuser"])
def test_overseers_see_masked_names_no_address_and_only_a_count_of_sensitive_tags(
    tagged, admin_as, persona, request
):
    user = (
        UserFactory(username="root", is_superuser=True)
        if persona == "superuser"
        else request.getfixturevalue(persona)
    )
    html = admin_as(user).get(reverse(CHANGELIST)).content.decode()
    assert "王芳" not in html and "李娜" not in html and "张敏" not in html
    assert "王*" in html and "李*" in html
    assert tagged.a.household.address not in html
    assert mask_address(tagged.a.household.address) in html
    assert "残疾人" not in html and "低保/困难户" not in html
    assert "独居老人" in html  # not a sensitive tag
    assert "2 sensitive tags" in html


def test_overseers_cannot_filter_by_a_sensitive_tag(tagged, admin_as, district_admin, street_staff):
    disabled = Tag.objects.get(code="disabled")
    overseer = admin_as(district_admin)
    html = overseer.get(reverse(CHANGELIST)).content.decode()
    assert "残疾人" not in html  # not offered in the filter either
    response = overseer.get(reverse(CHANGELIST), {"tag": disabled.pk})
    assert response.status_code == 403
    assert "sensitive" in response.content.decode()
    served = admin_as(street_staff).get(reverse(CHANGELIST), {"tag": disabled.pk})
    assert served.status_code == 200
    assert "王芳" in served.content.decode() and "李娜" not in served.content.decode()


def test_a_user_who_serves_one_cell_and_oversees_more_filters_only_the_served(
    tagged, admin_as, district_admin, territory
):
    """A district admin who is also the grid worker of cell X: a sensitive-tag filter lists
    only residents of X, never the district's."""
    from grids.models import Role

    from ..factories import AssignmentFactory

    AssignmentFactory(
        user=district_admin, role=Role.GRID_WORKER, scope="cell", cell=territory.cell_x
    )
    tagged.x.tags.add(Tag.objects.get(code="disabled"))
    disabled = Tag.objects.get(code="disabled")
    html = admin_as(district_admin).get(reverse(CHANGELIST), {"tag": disabled.pk}).content.decode()
    assert "张敏" in html
    assert "王*" not in html and "王芳" not in html


def test_overseers_change_page_is_read_only_and_masked(tagged, admin_as, district_admin):
    client = admin_as(district_admin)
    url = reverse("admin:residents_resident_change", args=[tagged.a.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "王芳" not in html and tagged.a.household.address not in html
    assert "残疾人" not in html and "2 sensitive tags" in html
    assert 'name="name"' not in html  # nothing to type into: a view, not a form
    data = {"household": tagged.a.household_id, "name": "改名", "gender": "F"}
    assert client.post(url, data).status_code == 403
    assert Resident.objects.get(pk=tagged.a.pk).name == "王芳"


def test_served_change_page_is_editable(tagged, admin_as, street_staff):
    url = reverse("admin:residents_resident_change", args=[tagged.a.pk])
    html = admin_as(street_staff).get(url).content.decode()
    assert 'name="name"' in html and "王芳" in html


def test_household_admin_masks_addresses_for_overseers(
    tagged, admin_as, district_admin, street_staff
):
    url = reverse("admin:residents_household_changelist")
    address = tagged.a.household.address
    assert address not in admin_as(district_admin).get(url).content.decode()
    assert address in admin_as(street_staff).get(url).content.decode()
    change = reverse("admin:residents_household_change", args=[tagged.a.household_id])
    assert address not in admin_as(district_admin).get(change).content.decode()


def test_str_never_gives_a_name_or_address_away(tagged, admin_as, street_staff):
    assert str(tagged.a) == "王*"
    assert str(tagged.a.household) == mask_address(tagged.a.household.address)
    client = admin_as(street_staff)
    url = reverse("admin:residents_resident_change", args=[tagged.b.pk])
    data = {"household": tagged.b.household_id, "name": "李娜娜", "gender": "F"}
    assert client.post(url, data).status_code == 302
    assert LogEntry.objects.get().object_repr == "李*娜"


def test_reveal_shows_name_and_address_whole_and_logs_them(tagged, district_admin):
    data = reveal_resident_pii(resident_id=tagged.a.pk, by=district_admin, reason="核对")
    assert data["name"] == "王芳" and data["address"] == tagged.a.household.address
    assert PIIAccessLog.objects.get().fields == "name,address,id_number,phone"


def test_builtin_sensitive_tags_are_flagged_and_the_flag_is_editable(admin_as, district_admin):
    sensitive = set(Tag.objects.filter(sensitive=True).values_list("code", flat=True))
    assert sensitive == {"disabled", "low_income", "special_care", "unemployed"}
    root = UserFactory(username="root", is_superuser=True)
    child = Tag.objects.get(code="child")
    url = reverse("admin:residents_tag_change", args=[child.pk])
    response = admin_as(root).post(url, {"name": "儿童", "sensitive": "on"})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.sensitive


def test_tag_counts_are_scoped(tagged, admin_as, street_staff, territory):
    disabled = Tag.objects.get(code="disabled")
    ResidentFactory(household__cell=territory.cell_x, tags=[disabled])
    html = admin_as(street_staff).get(reverse("admin:residents_tag_changelist")).content.decode()
    row = html.split(f"/admin/residents/tag/{disabled.pk}/change/")[1].split("</tr>")[0]
    assert ">1<" in row  # cell X is in street 2: not counted for street 1's staff


def test_access_log_admin_is_scoped(tagged, admin_as, street_staff, district_admin, worker_x):
    reveal_resident_pii(resident_id=tagged.a.pk, by=street_staff, reason="走访 A")
    reveal_resident_pii(resident_id=tagged.x.pk, by=worker_x, reason="走访 X")
    url = reverse("admin:residents_piiaccesslog_changelist")
    assert {"走访 A", "走访 X"} <= set(_cells(admin_as(district_admin).get(url)))
    staff_view = admin_as(street_staff).get(url).content.decode()
    assert "走访 A" in staff_view and "走访 X" not in staff_view


def _cells(response) -> list[str]:
    import re

    return re.findall(r"<td[^>]*>([^<]*)</td>", response.content.decode())


def test_overseer_list_query_count_does_not_grow_with_rows(
    tagged, admin_as, district_admin, territory
):
    client = admin_as(district_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(CHANGELIST)).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    ResidentFactory.create_batch(
        6, household__cell=territory.cell_b, tags=list(Tag.objects.filter(sensitive=True))
    )
    assert count() == small
