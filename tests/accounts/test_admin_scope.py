"""The admin for a staff account that is not a superuser shows what their assignment scopes,
by the selectors the pages use, and never tokens, sign-in records or schedules.

From the outsider's side: street 2's staff, holding every model permission there is, open
street 1's objects and get 404; the insider (street 1's staff) gets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.models import Satisfaction
from cases.models import Case
from grids.models import Assignment, Role
from integrity.models import IntegrityFlag, Rule
from residents.models import PIIAccessLog, Visit

from ..cases.personas import new_case
from ..factories import (
    DepartmentFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assigned_user,
)

pytestmark = pytest.mark.django_db


def make_staff(user, *, superuser: bool = False):
    """Give ``user`` admin access and every model permission (the worst case for scoping)."""
    user.is_staff, user.is_superuser = True, superuser
    user.save()
    user.user_permissions.set(Permission.objects.all())
    return user


@dataclass
class Street1:
    """One of each scoped thing, in street 1 (cell A)."""

    objects: dict[str, int]  # admin URL path → object id
    satisfaction: Satisfaction


@pytest.fixture
def street1(cast) -> Street1:
    case = new_case(cast)
    household = HouseholdFactory(cell=cast.territory.cell_a)
    resident = ResidentFactory(household=household)
    Visit.objects.create(household=household, worker=cast.reporter, note="走访")
    log = PIIAccessLog.objects.create(
        user=cast.staff, resident=resident, fields="id_number", reason="核对身份"
    )
    satisfaction = Satisfaction.objects.create(case=case)
    flag = IntegrityFlag.objects.create(rule=Rule.NEAR_DUPLICATE, case=case)
    return Street1(
        objects={
            "accounts/user": cast.reporter.pk,
            "grids/assignment": Assignment.objects.get(user=cast.reporter).pk,
            "cases/case": case.pk,
            "residents/household": household.pk,
            "residents/resident": resident.pk,
            "residents/piiaccesslog": log.pk,
            "assessment/satisfaction": satisfaction.pk,
            "integrity/integrityflag": flag.pk,
        },
        satisfaction=satisfaction,
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def outsider_client(staff2):
    return signed_in(make_staff(staff2))


@pytest.fixture
def insider_client(cast):
    return signed_in(make_staff(cast.staff))


@pytest.fixture
def superuser_client(db):
    return signed_in(UserFactory(username="root", is_staff=True, is_superuser=True))


SCOPED = [
    "accounts/user",
    "grids/assignment",
    "cases/case",
    "residents/household",
    "residents/resident",
    "residents/piiaccesslog",
    "assessment/satisfaction",
    "integrity/integrityflag",
]


@pytest.mark.parametrize("model", SCOPED)
def test_another_streets_staff_get_404_and_an_empty_list(model, street1, outsider_client):
    pk = street1.objects[model]
    for page in ("change", "history"):
        response = outsider_client.get(f"/admin/{model}/{pk}/{page}/")
        assert response.status_code == 404, (model, page)
    listing = outsider_client.get(f"/admin/{model}/")
    assert listing.status_code == 200
    assert pk not in {obj.pk for obj in listing.context["cl"].queryset}


@pytest.mark.parametrize("model", SCOPED)
def test_the_streets_own_staff_see_them(model, street1, insider_client):
    pk = street1.objects[model]
    assert insider_client.get(f"/admin/{model}/{pk}/change/").status_code == 200, model
    listing = insider_client.get(f"/admin/{model}/")
    assert pk in {obj.pk for obj in listing.context["cl"].queryset}


def test_visits_show_only_inside_a_household_in_scope(street1, insider_client, outsider_client):
    url = f"/admin/residents/household/{street1.objects['residents/household']}/change/"
    assert "走访" in insider_client.get(url).content.decode()
    assert outsider_client.get(url).status_code == 404
    assert not admin.site.is_registered(Visit)  # no list of their own to leak from


@pytest.mark.parametrize(
    "url",
    [
        "/admin/knox/authtoken/",
        "/admin/axes/accessattempt/",
        "/admin/axes/accesslog/",
        "/admin/axes/accessfailurelog/",
        "/admin/django_celery_beat/periodictask/",
        "/admin/django_celery_beat/crontabschedule/",
        "/admin/auth/group/",
    ],
)
def test_tokens_sign_ins_schedules_and_groups_are_for_superusers(
    url, outsider_client, superuser_client
):
    assert outsider_client.get(url).status_code == 403
    assert superuser_client.get(url).status_code == 200


def test_the_index_does_not_offer_them(street1, outsider_client, client_for, cast):
    client_for(cast.reporter)  # a token exists
    index = outsider_client.get("/admin/").content.decode()
    for app in ("/admin/knox/", "/admin/axes/", "/admin/django_celery_beat/", "/admin/auth/"):
        assert app not in index
    assert "/admin/cases/case/" in index


def test_a_satisfaction_rating_carries_no_secret_to_show(street1, superuser_client):
    """Residents rate by their case's tracking code; the rating row has no token of its own
    and its admin page shows no code."""
    assert "token" not in {f.name for f in Satisfaction._meta.get_fields()}
    case = street1.satisfaction.case
    Case.objects.filter(pk=case.pk).update(tracking_code="ABCDEFGHJK")
    pk = street1.satisfaction.pk
    for url in (f"/admin/assessment/satisfaction/{pk}/change/", "/admin/assessment/satisfaction/"):
        response = superuser_client.get(url)
        assert response.status_code == 200
        assert "ABCDEFGHJK" not in response.content.decode(), url


# --- what a street's staff may do to accounts and assignments --------------------------------


def test_staff_may_not_see_a_superuser_or_grant_privileges(cast, insider_client, client_for):
    boss = make_staff(assigned_user(Role.GRID_WORKER, "cell", cast.territory.cell_a, "boss"))
    boss.is_superuser = True
    boss.save()
    listed = {
        u.username for u in insider_client.get("/admin/accounts/user/").context["cl"].queryset
    }
    assert cast.reporter.username in listed and "boss" not in listed
    assert insider_client.get(f"/admin/accounts/user/{boss.pk}/change/").status_code == 404
    form = (
        insider_client.get(f"/admin/accounts/user/{cast.reporter.pk}/change/")
        .context["adminform"]
        .form
    )
    assert not {"is_staff", "is_superuser", "groups", "user_permissions"} & set(form.fields)
    filters = insider_client.get("/admin/accounts/user/").context["cl"].list_filter
    assert filters == ("is_active",)  # no group names, no who-is-superuser
    assert "is_active" in form.fields
    assert insider_client.get("/admin/accounts/user/add/").status_code == 403


def _assignment_form(user, **target) -> dict:
    return {
        "user": user.pk,
        "role": Role.GRID_WORKER,
        "valid_from": timezone.localdate().isoformat(),
        **target,
    }


def test_staff_assign_within_their_street_only(cast, insider_client):
    territory = cast.territory
    add = "/admin/grids/assignment/add/"
    inside = insider_client.post(
        add, _assignment_form(cast.worker_b, scope="cell", cell=territory.cell_a.pk)
    )
    assert inside.status_code == 302
    outside = insider_client.post(
        add, _assignment_form(cast.worker_b, scope="cell", cell=territory.cell_x.pk)
    )
    assert outside.status_code == 200
    assert "cell" in outside.context["adminform"].form.errors
    upward = insider_client.post(
        add,
        {
            **_assignment_form(cast.staff, scope="district", district=territory.district.pk),
            "role": Role.DISTRICT_ADMIN,
        },
    )
    assert "district" in upward.context["adminform"].form.errors
    assert not Assignment.objects.filter(role=Role.DISTRICT_ADMIN).exists()
    assert not Assignment.objects.filter(cell=territory.cell_x).exists()


def test_staff_make_handlers_only_of_departments_serving_their_street(cast, insider_client):
    territory = cast.territory
    local = DepartmentFactory(district=territory.district, street=territory.street1, name="街道办")

    def handler_of(department):
        form = _assignment_form(cast.worker_b, scope="street", street=territory.street1.pk)
        form |= {"role": Role.HANDLER, "department": department.pk}
        return insider_client.post("/admin/grids/assignment/add/", form)

    assert handler_of(local).status_code == 302
    district_wide = handler_of(territory.department)  # its cases span every street
    assert "department" in district_wide.context["adminform"].form.errors


def test_a_staff_flag_with_an_ended_assignment_shows_nothing(street1, cast):
    today = timezone.localdate()
    Assignment.objects.filter(user=cast.staff).update(
        valid_from=today - timedelta(days=30), valid_to=today - timedelta(days=1)
    )
    client = signed_in(make_staff(cast.staff))
    for model in SCOPED:
        listing = client.get(f"/admin/{model}/")
        assert listing.context["cl"].result_count == 0, model


def _add_rows(model: str, cast, first: int, last: int) -> None:
    """Rows ``first``..``last`` of ``model`` in street 1."""
    for i in range(first, last):
        if model in ("accounts/user", "grids/assignment"):
            assigned_user(Role.GRID_WORKER, "cell", cast.territory.cell_a, f"w{i}")
        elif model == "residents/piiaccesslog":
            resident = ResidentFactory(household=HouseholdFactory(cell=cast.territory.cell_a))
            PIIAccessLog.objects.create(
                user=cast.staff, resident=resident, fields="phone", reason="回访"
            )
        else:
            Satisfaction.objects.create(case=new_case(cast))


@pytest.mark.parametrize(
    "model",
    ["accounts/user", "grids/assignment", "residents/piiaccesslog", "assessment/satisfaction"],
)
def test_scoped_lists_cost_the_same_queries_for_more_rows(model, cast, insider_client):
    counts = []
    for first, last in ((0, 5), (5, 25)):
        _add_rows(model, cast, first, last)
        with CaptureQueriesContext(connection) as ctx:
            response = insider_client.get(f"/admin/{model}/")
        assert response.status_code == 200
        assert response.context["cl"].result_count >= last
        counts.append(len(ctx))
    assert counts[0] == counts[1], model


def test_every_admin_is_scoped_superuser_only_or_configuration():
    """A new admin must choose: scoped by a selector, for superusers only, or configuration
    that holds no personal data (shared by every staff account with the model permission)."""
    from accounts.admin import SUPERUSER_ONLY, SuperuserOnlyMixin
    from grids.admin_scope import ScopedAdminMixin

    configuration = {
        "grids.District",
        "grids.Street",
        "grids.Community",
        "grids.GridCell",
        "grids.Department",
        "grids.Specialty",
        "residents.Tag",
        "cases.Category",
        "cases.RoutingRule",
        "workflows.WorkSchedule",
        "workflows.CalendarDay",
        "assessment.GradingScheme",
        "assessment.RolledDay",
        "integrity.PhotoHash",
        "open311.ServiceAttribute",
    }
    superuser_only = {model._meta.label for model in SUPERUSER_ONLY} | {
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SuperuserOnlyMixin)
    }
    scoped = {
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ScopedAdminMixin)
    }
    assert scoped == {
        "accounts.User",
        "grids.Assignment",
        "cases.Case",
        "residents.Household",
        "residents.Resident",
        "residents.PIIAccessLog",
        "residents.PIIListLog",
        "assessment.Satisfaction",
        "integrity.IntegrityFlag",
    }
    registered = {model._meta.label for model in admin.site._registry}
    assert registered == scoped | superuser_only | configuration
