"""The household pages (issue 15 item 2): grid and functional workers register and keep the
households and residents of their own cells, with the model's validation, masked numbers and
the access logs; moving a household needs someone who serves both cells; a resident who moved
out or died is kept and leaves the visit schedule; 老年人 is derived, with its visit interval."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from grids.models import Role, Specialty
from residents.models import Household, PIIListLog, Resident, Tag
from residents.selectors import households_due_visit
from residents.services import create_household, create_resident

from ..factories import assigned_user, make_id_number
from .test_roster import row as roster_row
from .test_roster import xlsx

pytestmark = pytest.mark.django_db

ID_ELDER = make_id_number(region="130102", birth=date(1948, 2, 3), seq=24)  # 长安区 [1983-]


WRONG_CHECK = ID_ELDER[:-1] + ("1" if ID_ELDER[-1] != "1" else "2")


@pytest.fixture
def fw_community(territory):
    """A functional worker (养老) of community 1: serves cells A and B."""
    return assigned_user(
        Role.FUNCTIONAL_WORKER,
        "community",
        territory.community1,
        "fw_community",
        specialty=Specialty.objects.get(code="elderly_care"),
    )


@pytest.fixture
def home_x(territory):
    household = create_household(cell=territory.cell_x, address="X区3号楼")
    create_resident(household=household, name="张敏", gender="F", id_number=make_id_number(seq=44))
    return household


def test_a_worker_registers_a_household_and_an_elderly_resident_living_alone(
    client, worker_a, territory
):
    client.force_login(worker_a)
    response = client.post(
        "/households/new/", {"cell": territory.cell_a.pk, "address": "幸福路8号3单元101"}
    )
    household = Household.objects.get(address="幸福路8号3单元101")
    assert response.status_code == 302 and response["Location"] == f"/households/{household.pk}/"
    alone = Tag.objects.get(code="elderly_alone")
    response = client.post(
        f"/households/{household.pk}/residents/new/",
        {"name": "王秀英", "gender": "F", "id_number": ID_ELDER, "phone": "139 1234 5678",
         "tags": [alone.pk]},
    )  # fmt: skip
    assert response.status_code == 302
    resident = Resident.objects.get(name="王秀英")
    assert (resident.birth_date, resident.phone, resident.cell) == (
        date(1948, 2, 3),
        "13912345678",
        territory.cell_a,
    )
    page = client.get(f"/households/{household.pk}/").content.decode()
    # Masked, never whole; 老年人 shown as derived beside the ticked tag.
    assert ID_ELDER not in page and "13912345678" not in page
    assert resident.id_number_masked in page and "139****5678" in page
    assert "独居老人" in page and "老年人" in page
    log = PIIListLog.objects.filter(user=worker_a, where="household").latest("at")
    assert log.rows == 1


def test_the_edit_form_never_carries_the_whole_numbers(client, worker_a, people):
    client.force_login(worker_a)
    page = client.get(f"/residents/{people.a.pk}/edit/").content.decode()
    assert people.a.id_number not in page and people.a.phone not in page
    assert people.a.id_number_masked in page
    # A blank number keeps the stored one.
    response = client.post(
        f"/residents/{people.a.pk}/edit/", {"name": "王芳芳", "gender": "F", "id_number": ""}
    )
    assert response.status_code == 302
    people.a.refresh_from_db()
    assert (people.a.name, people.a.id_number) == ("王芳芳", "11010519491231002X")


def test_bad_input_is_a_400_with_the_field_s_error(client, worker_a, territory):
    client.force_login(worker_a)
    household = create_household(cell=territory.cell_a, address="幸福路1号")
    response = client.post(
        f"/households/{household.pk}/residents/new/",
        {"name": "李四", "gender": "M", "id_number": WRONG_CHECK, "phone": "12345"},
    )
    assert response.status_code == 400
    assert 'data-field="id_number"' in response.content.decode()
    assert 'data-field="phone"' in response.content.decode()
    assert not Resident.objects.exists()
    assert (
        client.post("/households/new/", {"cell": territory.cell_x.pk, "address": "x"}).status_code
        == 400
    )


def test_out_of_scope_is_a_404_and_volunteers_are_refused(
    client, worker_a, volunteer, home_x, people
):
    client.force_login(worker_a)
    resident_x = home_x.residents.get()
    for url in (
        f"/households/{home_x.pk}/",
        f"/households/{home_x.pk}/edit/",
        f"/households/{home_x.pk}/residents/new/",
        f"/residents/{resident_x.pk}/edit/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/residents/{resident_x.pk}/left/", {"reason": "deceased", "on": "2026-01-01"}
        ).status_code
        == 404
    )
    assert "张敏" not in client.get("/households/").content.decode()
    client.force_login(volunteer)
    assert client.get("/households/").status_code == 403
    assert client.get(f"/households/{people.a.household_id}/").status_code == 403


def test_moving_needs_someone_who_serves_both_cells(
    client, worker_a, fw_community, street_staff, people, territory
):
    household = people.a.household
    client.force_login(worker_a)  # serves cell A only
    client.post(f"/households/{household.pk}/move/", {"cell": territory.cell_b.pk})
    household.refresh_from_db()
    assert household.cell == territory.cell_a
    client.force_login(fw_community)  # serves the community: both cells
    client.post(f"/households/{household.pk}/move/", {"cell": territory.cell_b.pk})
    people.a.refresh_from_db()
    assert (people.a.household.cell, people.a.cell) == (territory.cell_b, territory.cell_b)
    client.force_login(street_staff)  # serves the street
    client.post(f"/households/{household.pk}/move/", {"cell": territory.cell_a.pk})
    household.refresh_from_db()
    assert household.cell == territory.cell_a
    client.force_login(worker_a)  # and now it is worker A's again
    assert client.get(f"/households/{household.pk}/").status_code == 200


def test_a_resident_marked_deceased_is_kept_and_leaves_the_visit_schedule(client, worker_a, people):
    alone = Tag.objects.get(code="elderly_alone")
    people.a.tags.add(alone)
    assert [d.household for d in households_due_visit(worker_a)] == [people.a.household]
    client.force_login(worker_a)
    today = timezone.localdate().isoformat()
    response = client.post(f"/residents/{people.a.pk}/left/", {"reason": "deceased", "on": today})
    assert response.status_code == 302
    people.a.refresh_from_db()
    assert (people.a.left_reason, people.a.moved_out_at.isoformat()) == ("deceased", today)
    assert households_due_visit(worker_a) == []
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    bad = client.post(f"/residents/{people.b.pk}/left/", {"reason": "moved_out", "on": tomorrow})
    assert bad.status_code == 404  # cell B is not worker A's
    refused = client.post(f"/residents/{people.a.pk}/left/", {"reason": "?", "on": today})
    assert refused.status_code == 400


def test_the_derived_elderly_tag_schedules_visits_like_the_others(worker_a, people, territory):
    elder_home = create_household(cell=territory.cell_a, address="幸福路2号")
    create_resident(
        household=elder_home,
        name="赵大爷",
        gender="M",
        id_number=make_id_number(region="130102", birth=date(1948, 2, 3), seq=11),
    )
    assert households_due_visit(worker_a) == []  # no interval set for 老年人 yet
    Tag.objects.filter(code="elderly").update(visit_every_days=30)
    due = households_due_visit(worker_a)
    # 王芳 (born 1949) and 赵大爷 (1948) are both 60+: both households are due.
    assert {d.household.pk for d in due} == {people.a.household_id, elder_home.pk}
    assert {d.every_days for d in due} == {30}


def test_the_household_list_runs_a_constant_number_of_queries(client, worker_a, territory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from residents.roster import import_roster

    client.force_login(worker_a)
    counts = []
    for size in (2, 12):
        Resident.objects.all().delete()
        Household.objects.all().delete()
        rows = [roster_row(n, address=f"幸福路{n}号", tags="独居老人") for n in range(size)]
        assert import_roster(by=worker_a, data=xlsx(rows)).written
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/households/")
        assert page.status_code == 200
        assert page.content.decode().count('data-testid="household-row"') == size
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_the_roster_page_imports_and_reports(client, worker_a, territory):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(worker_a)
    assert client.get("/households/roster/").status_code == 200
    template = client.get("/households/roster/template.xlsx")
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    upload = SimpleUploadedFile("r.xlsx", xlsx([roster_row(1), roster_row(2, phone="1")]))
    response = client.post("/households/roster/", {"file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Created 1, updated 0, unchanged 0, refused 1." in body
    assert "Nothing was imported" in body
    upload = SimpleUploadedFile("r.xlsx", xlsx([roster_row(1), roster_row(2)]))
    assert "Imported." in client.post("/households/roster/", {"file": upload}).content.decode()
    export = client.get(f"/households/roster/export.xlsx?community={territory.community1.pk}")
    assert export.status_code == 200
    assert (
        client.get(
            f"/households/roster/export.xlsx?community={territory.community2.pk}"
        ).status_code
        == 404
    )
    assert client.get("/households/roster/export.xlsx?community=x").status_code == 400


def test_two_saves_of_the_same_id_number_at_once_refuse_the_second_with_a_field_error(
    client, worker_a, territory
):
    from .race import registered_meanwhile

    household = create_household(cell=territory.cell_a, address="幸福路9号")
    client.force_login(worker_a)
    with registered_meanwhile(household=household, id_number=ID_ELDER):
        response = client.post(
            f"/households/{household.pk}/residents/new/",
            {"name": "王秀英", "gender": "F", "id_number": ID_ELDER},
        )
    assert response.status_code == 400
    assert 'data-field="id_number"' in response.content.decode()
    assert "already registered" in response.content.decode()
    assert not Resident.objects.filter(name="王秀英").exists()


def test_leaving_is_refused_twice_in_advance_or_too_long_ago_to_keep(client, worker_a, people):
    from django.conf import settings

    client.force_login(worker_a)
    url = f"/residents/{people.a.pk}/left/"
    today = timezone.localdate()
    tomorrow = client.post(url, {"reason": "moved_out", "on": today + timedelta(days=1)})
    assert tomorrow.status_code == 400 and "in advance" in tomorrow.content.decode()
    erased_at_once = today - timedelta(days=settings.RETAIN_MOVED_OUT_DAYS)
    too_old = client.post(url, {"reason": "moved_out", "on": erased_at_once})
    assert too_old.status_code == 400 and "anonymised" in too_old.content.decode()
    people.a.refresh_from_db()
    assert people.a.moved_out_at is None
    kept = today - timedelta(days=settings.RETAIN_MOVED_OUT_DAYS - 1)
    assert client.post(url, {"reason": "moved_out", "on": kept}).status_code == 302
    again = client.post(url, {"reason": "deceased", "on": today})
    assert again.status_code == 409 and "already" in again.content.decode()
    people.a.refresh_from_db()
    assert (people.a.left_reason, people.a.moved_out_at) == ("moved_out", kept)


def test_numbers_too_big_for_the_database_are_a_400_or_a_404_never_a_500(client, worker_a):
    client.force_login(worker_a)
    huge = "9" * 30
    for bad in (huge, "x", "-1", ""):
        response = client.get(f"/households/roster/export.xlsx?community={bad}")
        assert response.status_code == 400, bad
        assert "community" in response.content.decode()
    for url in (f"/households/{huge}/", f"/residents/{huge}/edit/", f"/visits/{huge}/undo/"):
        assert client.get(url).status_code == 404, url


def test_a_refused_volunteer_gets_the_residents_refusal_in_json_or_html(client, volunteer):
    client.force_login(volunteer)
    as_json = client.get("/households/", headers={"accept": "application/json"})
    assert as_json.status_code == 403
    assert as_json.json() == {"detail": "Only those who serve a grid cell keep its households."}
    as_html = client.get("/households/", headers={"accept": "text/html"})
    assert as_html.status_code == 403 and "keep its households" in as_html.content.decode()
