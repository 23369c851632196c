"""The masking test: no page, admin view or export that shows a resident lets anyone rebuild
a whole ID number from what it shows — the mask, dates, years, ages, the region and the
GB 11643 check digit (see ``rebuild``).

Every admin page of the residents app is fetched (lists, change, history and delete pages,
every list action's first page) as people allowed to see them who did not ask for a logged
reveal: street staff (who serve their street), a district admin and a superuser (who oversee
and may reveal, but have not), and the grid worker's home page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from residents.models import Resident, Tag, Visit
from residents.services import create_household, create_resident

from ..factories import UserFactory, make_id_number
from .rebuild import rebuilt, shows_mask_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def everyone(people, territory, worker_a) -> list[Resident]:
    """The conftest's three (born 1949-12-31, 1985, 2015) and the awkward ones: a baby born
    this year, someone born on 29 February; one with sensitive tags and a visit."""
    today = timezone.localdate()
    household = create_household(cell=territory.cell_a, address="光华路12号院3号楼2单元1203")
    baby = create_resident(
        household=household,
        name="刘小宝",
        gender="M",
        id_number=make_id_number(
            birth=max(today - timedelta(days=3), date(today.year, 1, 1)), seq=5
        ),
    )
    leap = create_resident(
        household=household,
        name="欧阳娜娜",
        gender="F",
        id_number=make_id_number(birth=date(2000, 2, 29), seq=8),
        phone="13700001234",
        tags=["disabled", "low_income", "elderly_alone"],
    )
    people.a.tags.add(Tag.objects.get(code="special_care"))
    Visit.objects.create(household=household, worker=worker_a, note="走访")
    return [people.a, people.b, people.x, baby, leap]


def admin_pages(client) -> Iterator[tuple[str, str]]:
    """(label, markup) of every residents admin page the client's user gets a page for."""
    request = RequestFactory().get("/")
    request.user = client.user
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "residents":
            continue
        name = f"admin:residents_{model._meta.model_name}"
        yield from _get(client, f"{name}_changelist")
        for obj in model.objects.all():
            for view in ("change", "history", "delete"):
                yield from _get(client, f"{name}_{view}", obj.pk)
        objects = model_admin.get_queryset(request)
        for action in model_admin.get_actions(request):
            url = reverse(f"{name}_changelist")
            data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], "index": 0}
            response = client.post(url, data)
            if response.status_code == 200:
                yield f"{url} action {action}", _content(response)
    changelist = reverse("admin:residents_resident_changelist")
    for query in ({"q": "王芳"}, {"q": "娜"}, {"elderly": "yes"}, {"o": "5"}, {"o": "-5"}):
        response = client.get(changelist, query)
        if response.status_code == 200:
            yield f"{changelist} {query}", _content(response)


def _get(client, name: str, *args) -> Iterator[tuple[str, str]]:
    url = reverse(name, args=args)
    response = client.get(url)
    if response.status_code == 200:
        yield url, _content(response)


def _content(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def assert_nothing_rebuilt(pages, residents) -> int:
    today = timezone.localdate()
    checked = 0
    for label, markup in pages:
        for resident in residents:
            how = rebuilt(markup, resident.id_number, today=today)
            assert how is None, f"{label} gives away {resident.name}'s ID number: {how}"
        checked += 1
    return checked


@pytest.mark.parametrize("persona", ["street_staff", "district_admin", "superuser"])
def test_no_admin_page_or_export_lets_an_id_number_be_rebuilt(everyone, persona, request, admin_as):
    user = (
        UserFactory(username="root", is_superuser=True)
        if persona == "superuser"
        else request.getfixturevalue(persona)
    )
    client = admin_as(user)
    pages = list(admin_pages(client))
    assert assert_nothing_rebuilt(pages, everyone) > 10
    # Not vacuous: the list and each resident's page in scope do show the mask.
    by_label = dict(pages)
    changelist = by_label[reverse("admin:residents_resident_changelist")]
    in_scope = [
        r for r in everyone if r.cell_id != everyone[2].cell_id or persona != "street_staff"
    ]
    for resident in in_scope:
        assert shows_mask_of(changelist, resident.id_number), resident.name
        change = by_label[reverse("admin:residents_resident_change", args=[resident.pk])]
        assert shows_mask_of(change, resident.id_number), resident.name


def test_the_grid_workers_home_page_gives_nothing_away(everyone, worker_a, client):
    client.force_login(worker_a)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert assert_nothing_rebuilt([("home", response.content.decode())], everyone) == 1


def test_the_attack_works_on_a_page_that_shows_the_birth_date(everyone):
    """The test's own check: a row with the old mask (check digit shown) beside the birth
    date, or beside the birth year, is rebuilt; beside the year with the new mask it is not."""
    resident = everyone[0]
    number = resident.id_number  # 11010519491231002X
    old_mask = number[:6] + "*" * 8 + number[14:]
    new_mask = number[:6] + "*" * 8 + number[14:17] + "*"
    today = timezone.localdate()
    assert rebuilt(f"<tr><td>{old_mask}</td><td>Dec. 31, 1949</td></tr>", number, today=today)
    assert rebuilt(f"<tr><td>{old_mask}</td><td>1949</td></tr>", number, today=today)
    assert rebuilt(f"<tr><td>{new_mask}</td><td>1949-12-31</td></tr>", number, today=today)
    assert rebuilt(f"<tr><td>{new_mask}</td><td>1949</td></tr>", number, today=today) is None
