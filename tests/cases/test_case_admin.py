"""The case admin: scoped list, read-only status and timeline, no adding."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from cases.models import Case
from workflows import services

from .personas import case_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, cast):
    cast.staff.is_staff = True
    cast.staff.save(update_fields=["is_staff"])
    cast.staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_case", "change_case"])
    )
    client.force_login(cast.staff)
    return client


def test_case_admin_lists_searches_and_shows_the_timeline(staff_client, cast, staff2):
    case = case_in(cast, "dispatched")
    response = staff_client.get("/admin/cases/case/", {"q": case.number})
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [case]
    response = staff_client.get(f"/admin/cases/case/{case.pk}/change/")
    assert response.status_code == 200
    form_fields = response.context["adminform"].form.fields
    assert set(form_fields) == {"title", "description", "address"}
    (events,) = response.context["inline_admin_formsets"]
    assert [f.instance.action for f in events.formset] == ["create", "accept", "dispatch"]
    assert staff_client.get("/admin/cases/case/add/").status_code == 403


def test_case_admin_hides_other_streets(client, cast, staff2):
    case = case_in(cast, "collected")
    staff2.is_staff = True
    staff2.is_superuser = False
    staff2.save()
    staff2.user_permissions.add(Permission.objects.get(codename="view_case"))
    client.force_login(staff2)
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 404  # as the API
    assert client.get("/admin/cases/case/").context["cl"].result_count == 0
    assert Case.objects.count() == 1


def test_editing_text_in_admin_keeps_a_transition_made_meanwhile(staff_client, cast):
    case = case_in(cast, "accepted")
    page = staff_client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    # Between loading the form and saving it, the case is dispatched elsewhere.
    services.dispatch_case(case_id=case.pk, by=cast.staff, department_id=cast.department.pk)
    response = staff_client.post(
        f"/admin/cases/case/{case.pk}/change/",
        {
            "title": "新标题",
            "description": case.description,
            "address": case.address,
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:500]
    case.refresh_from_db()
    assert (case.title, case.status) == ("新标题", "dispatched")
    assert staff_client.get(f"/admin/cases/case/{case.pk}/delete/").status_code == 403


def test_a_hand_edited_category_filter_is_not_a_500(admin_client):
    assert admin_client.get("/admin/cases/category/", {"parent": "abc"}).status_code == 200
