"""The case admin: scoped list, read-only status and timeline, no adding."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from cases.models import Case

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
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 302
    assert client.get("/admin/cases/case/").context["cl"].result_count == 0
    assert Case.objects.count() == 1
