"""Who sees which residents (DESIGN §6), from the insider's and the outsider's side."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from residents.models import PIIAccessLog, Resident, Tag
from residents.selectors import households_visible_to, residents_visible_to
from residents.services import reveal_resident_pii, search_residents_by_number

from ..factories import ResidentFactory, UserFactory
from .conftest import ID_A, PHONE_A

pytestmark = pytest.mark.django_db


def names(queryset) -> set[str]:
    return {resident.name for resident in queryset}


def test_grid_worker_sees_own_cell_only(people, worker_a):
    assert names(residents_visible_to(worker_a)) == {people.a.name}
    assert {h.cell_id for h in households_visible_to(worker_a)} == {people.a.cell_id}


def test_worker_of_another_cell_does_not_see_cell_a(people, worker_b, worker_x):
    assert people.a not in residents_visible_to(worker_b)
    assert names(residents_visible_to(worker_x)) == {people.x.name}


def test_street_staff_sees_their_street_only(people, street_staff):
    assert names(residents_visible_to(street_staff)) == {people.a.name, people.b.name}
    assert len(households_visible_to(street_staff)) == 2


def test_district_admin_sees_the_whole_district(people, district_admin):
    assert names(residents_visible_to(district_admin)) == {"王芳", "李娜", "张敏"}


def test_superuser_sees_all(people):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert residents_visible_to(root).count() == 3


@pytest.mark.parametrize("persona", ["volunteer", "outsider", "handler"])
def test_no_personal_data_for_volunteers_outsiders_and_handlers(people, persona, request):
    user = request.getfixturevalue(persona)
    assert not residents_visible_to(user).exists()
    assert not households_visible_to(user).exists()


def test_anonymous_sees_nothing(people):
    assert not residents_visible_to(AnonymousUser()).exists()


def find(user, number: str) -> list:
    return list(search_residents_by_number(by=user, number=number, where="test"))


def test_lookup_by_id_number_stays_within_scope(people, worker_a, worker_b):
    assert find(worker_a, ID_A.lower()) == [people.a]
    assert find(worker_b, ID_A) == []
    assert find(worker_a, "not a number") == []


def test_lookup_by_phone_in_any_usual_spelling(people, worker_a, worker_x, street_staff):
    assert find(worker_a, "+86 139-1234-5678") == [people.a]
    assert find(worker_x, "(010) 6552 9988") == [people.x]
    assert find(street_staff, PHONE_A.replace("139", "138")) == []
    assert find(worker_a, "12345") == []


def test_residents_list_query_count_does_not_grow_with_rows(people, district_admin, territory):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for resident in residents_visible_to(district_admin):
                _ = (resident.household.address, resident.cell.community.name)
        return len(ctx.captured_queries)

    small = count_queries()
    ResidentFactory.create_batch(5, household__cell=territory.cell_a)
    assert count_queries() == small


def test_worker_reveals_own_resident_and_it_is_logged(people, worker_a):
    data = reveal_resident_pii(resident_id=people.a.pk, by=worker_a, reason="入户走访")
    assert (data["id_number"], data["phone"]) == (ID_A, PHONE_A)
    log = PIIAccessLog.objects.get()
    assert (log.user, log.resident, log.reason) == (worker_a, people.a, "入户走访")


@pytest.mark.parametrize("persona", ["worker_b", "worker_x", "volunteer", "outsider", "handler"])
def test_reveal_refused_outside_scope_and_for_volunteers(people, persona, request):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        reveal_resident_pii(resident_id=people.a.pk, by=user, reason="curious")
    assert not PIIAccessLog.objects.exists()


def test_reveal_of_a_missing_resident_looks_like_a_refusal(people, district_admin):
    with pytest.raises(PermissionDenied):
        reveal_resident_pii(resident_id=10**9, by=district_admin, reason="x")


def test_visits_fall_due_where_the_user_serves_and_not_for_who_moved_out(
    people, worker_a, district_admin
):
    from django.utils import timezone

    from residents.models import Resident, Tag
    from residents.selectors import households_due_visit

    people.a.tags.add(Tag.objects.get(code="elderly_alone"))
    assert [due.household for due in households_due_visit(worker_a)] == [people.a.household]
    # A district admin oversees: no visit list of the district's addresses.
    assert households_due_visit(district_admin) == []
    Resident.objects.filter(pk=people.a.pk).update(moved_out_at=timezone.localdate())
    assert households_due_visit(worker_a) == []


def test_only_those_who_serve_a_household_log_a_visit(people, district_admin, worker_a):
    from residents.models import Household
    from residents.visits import record_visit

    with pytest.raises(Household.DoesNotExist):
        record_visit(household_id=people.a.household_id, by=district_admin)
    assert record_visit(household_id=people.a.household_id, by=worker_a).worker == worker_a


def test_shown_tags_are_the_ticked_ones_then_the_derived_ones_in_one_query(people):
    from residents.selectors import show_tags

    people.a.tags.add(Tag.objects.get(code="elderly_alone"))
    residents = list(Resident.objects.prefetch_related("tags").order_by("pk"))
    with CaptureQueriesContext(connection) as ctx:
        show_tags(residents)
    assert len(ctx) == 1  # the derived tags
    shown = {r.name: [t.code for t in r.shown_tags] for r in residents}
    assert shown == {"王芳": ["elderly_alone", "elderly"], "李娜": [], "张敏": []}
