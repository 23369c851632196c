"""'Which cells may this user see' from each role's side, insiders and outsiders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from grids.models import Assignment, Department, GridCell, Role
from grids.selectors import (
    assignment_scope_q,
    can_see_cell,
    cell_scope_q,
    department_scope_q,
    users_visible_to,
    visible_cells,
)

from ..factories import AssignmentFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def codes(user) -> set[str]:
    return {cell.full_code[-9:] for cell in visible_cells(user)}


A, B, X = "001001001", "001001002", "002001001"


def test_a_grid_worker_sees_only_their_cell(worker_a, worker_x):
    assert codes(worker_a) == {A}
    assert codes(worker_x) == {X}


def test_a_worker_of_a_whole_community_sees_its_cells(territory):
    user = UserFactory()
    AssignmentFactory(
        user=user, role=Role.GRID_WORKER, scope="community", community=territory.community1
    )
    assert codes(user) == {A, B}


def test_street_staff_see_their_street_and_not_another(street_staff, territory):
    assert codes(street_staff) == {A, B}
    assert not can_see_cell(street_staff, territory.cell_x.pk)


def test_a_district_admin_sees_the_district(district_admin):
    assert codes(district_admin) == {A, B, X}


def test_a_user_without_assignment_sees_nothing(outsider, territory):
    assert codes(outsider) == set()
    assert not can_see_cell(outsider, territory.cell_a.pk)


def test_anonymous_sees_nothing(territory):
    from django.contrib.auth.models import AnonymousUser

    assert codes(AnonymousUser()) == set()


def test_expired_and_future_assignments_do_not_count(territory):
    today = timezone.localdate()
    user = UserFactory()
    AssignmentFactory(
        user=user,
        scope="cell",
        cell=territory.cell_a,
        valid_from=today - timedelta(days=30),
        valid_to=today - timedelta(days=1),
    )
    AssignmentFactory(
        user=user, scope="cell", cell=territory.cell_b, valid_from=today + timedelta(days=1)
    )
    assert codes(user) == set()
    assert {c.full_code[-9:] for c in visible_cells(user, on=today - timedelta(days=5))} == {A}


def test_several_assignments_add_up(territory):
    user = UserFactory()
    AssignmentFactory(user=user, scope="cell", cell=territory.cell_a)
    AssignmentFactory(user=user, scope="cell", cell=territory.cell_x)
    assert codes(user) == {A, X}


def test_scope_q_filters_a_related_model_in_one_query(
    street_staff, territory, django_assert_num_queries
):
    q = cell_scope_q(street_staff, "cells__")  # from Community through its cells
    from grids.models import Community

    with django_assert_num_queries(1):
        names = set(Community.objects.filter(q).distinct().values_list("name", flat=True))
    assert names == {territory.community1.name}


def test_visible_cells_costs_two_queries_whatever_the_count(
    street_staff, territory, django_assert_num_queries
):
    for n in range(3, 13):
        GridCell.objects.create(
            community=territory.community1,
            code=f"{n:03d}",
            name=str(n),
            geometry=territory.community1.geometry,
        )
    with django_assert_num_queries(2):  # assignments, then the cells with their joins
        cells = list(visible_cells(street_staff))
        streets = {c.community.street.name for c in cells}
    assert len(cells) == 12 and streets == {territory.street1.name}


def test_assignment_validation_says_what_is_wrong(territory):
    from django.core.exceptions import ValidationError

    user = UserFactory()
    wrong_scope = Assignment(user=user, role=Role.STREET_STAFF, scope="cell", cell=territory.cell_a)
    with pytest.raises(ValidationError) as exc:
        wrong_scope.full_clean()
    assert "scope" in exc.value.message_dict
    no_department = Assignment(
        user=user, role=Role.HANDLER, scope="district", district=territory.district
    )
    with pytest.raises(ValidationError) as exc:
        no_department.full_clean()
    assert "department" in exc.value.message_dict
    two_targets = Assignment(
        user=user,
        role=Role.GRID_WORKER,
        scope="cell",
        cell=territory.cell_a,
        street=territory.street1,
    )
    with pytest.raises(ValidationError) as exc:
        two_targets.full_clean()
    assert "cell" in exc.value.message_dict


# --- what lies within a user's territory (the admin's users, assignments, departments) -------


def _assignment_targets(user) -> set[str]:
    return {str(a.target) for a in Assignment.objects.filter(assignment_scope_q(user))}


def test_street_staff_see_assignments_within_their_street_only(
    territory, street_staff, district_admin, worker_a, worker_x
):
    AssignmentFactory(role=Role.GRID_WORKER, scope="community", community=territory.community1)
    within = _assignment_targets(street_staff)
    assert within == {str(territory.street1), str(territory.community1), str(territory.cell_a)}
    assert _assignment_targets(district_admin) == within | {
        str(territory.district),
        str(territory.cell_x),
    }
    assert _assignment_targets(worker_a) == {str(territory.cell_a)}


def test_the_accounts_a_street_manages(territory, street_staff, worker_a, worker_x, outsider):
    boss = UserFactory(is_superuser=True)
    AssignmentFactory(user=boss, scope="cell", cell=territory.cell_a)
    managed = {user.username for user in users_visible_to(street_staff)}
    assert managed == {"staff1", "worker_a"}  # not street 2's, not the unassigned, no superuser
    assert users_visible_to(boss).count() == get_user_model().objects.count()


def test_departments_within_a_street(territory, street_staff, district_admin):
    district = territory.district
    local = DepartmentFactory(district=district, street=territory.street1, name="一街道城管")
    other = DepartmentFactory(district=district, street=territory.street2, name="二街道城管")

    def names(user) -> set[str]:
        departments = Department.objects.filter(department_scope_q(user))
        return set(departments.values_list("name", flat=True))

    assert names(street_staff) == {local.name}  # not the district-wide one, not street 2's
    assert names(district_admin) == {local.name, other.name, territory.department.name}
