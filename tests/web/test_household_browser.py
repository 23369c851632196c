"""A grid worker registers a household with an elderly resident living alone, on a 360 px
phone in real Chromium (issue 15 item 2): the household, then the resident with a real ID
number whose county code is younger than the resident (130102 长安区, [1983-]), the 独居老人
tag ticked and 老年人 derived; the page shows the numbers masked and fits the screen."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from residents.models import Household, Resident

from ..factories import make_id_number
from .conftest import PHONE, WORKER_CELL, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ID_NUMBER = make_id_number(region="130102", birth=date(1946, 9, 18), seq=28)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_grid_worker_registers_a_household_with_an_elderly_resident_living_alone(
    browser, live_server, demo_site
):
    page = sign_in(browser, live_server, "demo_worker", viewport=PHONE)
    page.goto(f"{live_server.url}/households/")
    assert fits(page)
    page.get_by_test_id("household-new").click()
    page.select_option("[name=cell]", label=next(
        o for o in page.locator("[name=cell] option").all_inner_texts() if WORKER_CELL in o
    ))  # fmt: skip
    page.fill("[name=address]", "朝外大街12号院3号楼2单元101")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("household-address")).to_have_text("朝外大街12号院3号楼2单元101")
    assert fits(page)

    page.get_by_test_id("resident-new").click()
    page.fill("[name=name]", "王秀兰")
    page.select_option("[name=gender]", "F")
    page.fill("[name=id_number]", ID_NUMBER)
    page.fill("[name=phone]", "139 1234 5678")
    page.get_by_label("独居老人").check()
    assert fits(page)
    page.get_by_test_id("save").click()

    resident = page.get_by_test_id("resident")
    expect(resident).to_contain_text("王秀兰")
    expect(resident.get_by_test_id("id-masked")).to_have_text("130102********028*")
    expect(resident.get_by_test_id("phone-masked")).to_have_text("139****5678")
    expect(resident.get_by_test_id("tag")).to_have_text(["独居老人", "老年人"])
    assert ID_NUMBER not in page.content()
    assert fits(page)
    screenshot(page, "household-phone")

    saved = Resident.objects.get(name="王秀兰")
    assert saved.birth_date == date(1946, 9, 18) and saved.cell.full_code == WORKER_CELL
    assert [t.code for t in saved.tags.all()] == ["elderly_alone"]
    assert Household.objects.get(pk=saved.household_id).address == "朝外大街12号院3号楼2单元101"
