"""Functional workers (功能性网格员, issue 15 item 1): a service case goes to the functional worker
of its specialty serving the cell — cell before community before street, then the least
loaded, then the lowest id — else to a routing rule's department, else the street's queue;
the worker starts and reports it, may resolve on the spot, and verifies service cases they
did not handle; their home lists the service cases in their hands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from cases.models import Case, Category, RoutingRule
from cases.services import create_case
from cases.specialists import functional_worker_for
from cases.today import Kind, task_list
from grids.models import Assignment, Role, Specialty
from workflows import routing, services
from workflows.errors import ActionForbidden
from workflows.transitions import allowed_actions

from ..cases.personas import POINT_A, photo
from ..factories import assigned_user

pytestmark = pytest.mark.django_db

ELDERLY_CASE = "S0101"  # 独居老人关爱: major class S01 养老 → elderly_care


def fw(territory, name: str, *, scope: str = "cell", specialty: str = "elderly_care", **kw):
    target = {
        "cell": territory.cell_a,
        "community": territory.community1,
        "street": territory.street1,
    }[scope]
    return assigned_user(
        Role.FUNCTIONAL_WORKER,
        scope,
        kw.pop("target", target),
        name,
        specialty=Specialty.objects.get(code=specialty),
        **kw,
    )


def service_case(reporter, code: str = ELDERLY_CASE) -> Case:
    return create_case(
        by=reporter,
        title="独居老人需要探访",
        description="3号楼王奶奶一周没出门",
        category_code=code,
        lon=POINT_A[0],
        lat=POINT_A[1],
    )


def accepted(cast, code: str = ELDERLY_CASE) -> Case:
    return services.accept_case(case_id=service_case(cast.reporter, code).pk, by=cast.staff)


def routed(cast, code: str = ELDERLY_CASE) -> Case:
    case = accepted(cast, code)
    routing.route_case(case.pk)
    case.refresh_from_db()
    return case


# --- configuration -------------------------------------------------------------------------


def test_service_classes_are_mapped_to_built_in_specialties():
    assert Category.objects.get(code="S0101").routing_specialty_id == (
        Specialty.objects.get(code="elderly_care").pk
    )
    assert Category.objects.get(code="S0801").routing_specialty_id == (
        Specialty.objects.get(code="mediation").pk
    )
    assert Category.objects.get(code="S0901").routing_specialty_id is None  # fire lanes
    assert Category.objects.get(code="C0101").routing_specialty_id is None
    assert set(Specialty.objects.values_list("name", flat=True)) >= {
        "教育", "医疗", "养老", "助残", "救助", "儿童关爱", "就业", "调解",
    }  # fmt: skip


def test_only_functional_workers_carry_a_specialty(territory, worker_a):
    assignment = Assignment.objects.get(user=worker_a)
    assignment.specialty = Specialty.objects.get(code="health")
    with pytest.raises(ValidationError) as exc:
        assignment.full_clean()
    assert "specialty" in exc.value.message_dict


def test_only_service_categories_name_a_specialty():
    category = Category.objects.get(code="C0101")
    category.specialty = Specialty.objects.get(code="health")
    with pytest.raises(ValidationError) as exc:
        category.full_clean()
    assert "specialty" in exc.value.message_dict


# --- routing: specialty × territory, with fallbacks -----------------------------------------


def test_cell_assignment_beats_community_beats_street(cast, territory):
    street_fw = fw(territory, "fw_street", scope="street")
    assert routed(cast).handler == street_fw
    community_fw = fw(territory, "fw_community", scope="community")
    assert routed(cast).handler == community_fw
    cell_fw = fw(territory, "fw_cell")
    case = routed(cast)
    assert (case.status, case.handler, case.department) == ("dispatched", cell_fw, None)


def test_another_specialty_another_cell_or_an_ended_assignment_does_not_count(
    cast, territory, handler
):
    fw(territory, "fw_health", specialty="health")
    fw(territory, "fw_cell_b", target=territory.cell_b)
    gone = fw(territory, "fw_gone")
    Assignment.objects.filter(user=gone).update(
        valid_from=timezone.localdate() - timedelta(days=30),
        valid_to=timezone.localdate() - timedelta(days=1),
    )
    case = routed(cast)
    assert (case.status, case.handler) == ("accepted", None)  # the street's queue, as before


def test_without_a_functional_worker_a_routing_rule_still_applies(cast, territory):
    category = Category.objects.get(code=ELDERLY_CASE)
    RoutingRule.objects.create(
        category=category, district=territory.district, department=cast.department
    )
    case = routed(cast)
    assert (case.status, case.department, case.handler) == ("dispatched", cast.department, None)
    # With a functional worker of the cell, the worker comes first.
    worker = fw(territory, "fw_cell")
    case = routed(cast)
    assert (case.department, case.handler) == (None, worker)


def test_a_case_of_another_family_never_goes_to_a_functional_worker(cast, territory):
    fw(territory, "fw_cell")
    case = accepted(cast, "C0101")
    assert routing.route_case(case.pk) is None
    case.refresh_from_db()
    assert (case.status, case.handler) == ("accepted", None)


def test_a_sub_category_may_name_its_own_specialty(cast, territory):
    category = Category.objects.get(code="S0102")
    category.specialty = Specialty.objects.get(code="health")
    category.save(update_fields=["specialty"])
    fw(territory, "fw_elderly")
    doctor = fw(territory, "fw_health", specialty="health")
    assert routed(cast, "S0102").handler == doctor


def test_ties_go_to_the_least_loaded_then_the_lowest_id(cast, territory):
    first = fw(territory, "fw_1", scope="community")
    second = fw(territory, "fw_2", scope="community")
    assert first.pk < second.pk
    assert routed(cast).handler == first  # equal loads (none): the lowest id
    assert routed(cast).handler == second  # first holds one open case now
    assert routed(cast).handler == first  # one each again
    # Same data, same answer: routing is deterministic.
    category, cell = Category.objects.get(code=ELDERLY_CASE), territory.cell_a
    assert functional_worker_for(category=category, cell=cell) == second.pk
    assert functional_worker_for(category=category, cell=cell) == second.pk


def test_routing_reads_two_queries_at_most(cast, territory, django_assert_max_num_queries):
    fw(territory, "fw_1", scope="community")
    fw(territory, "fw_2", scope="community")
    category = Category.objects.select_related("parent").get(code=ELDERLY_CASE)
    with django_assert_max_num_queries(2):
        functional_worker_for(category=category, cell=territory.cell_a)


def test_a_manual_dispatch_to_a_worker_who_does_not_serve_the_case_is_refused(cast, territory):
    doctor = fw(territory, "fw_health", specialty="health")
    case = accepted(cast)
    with pytest.raises(ValidationError) as exc:
        services.dispatch_to_functional_worker(case_id=case.pk, by=cast.staff, worker_id=doctor.pk)
    assert "worker" in exc.value.message_dict
    worker = fw(territory, "fw_cell")
    case = services.dispatch_to_functional_worker(
        case_id=case.pk, by=cast.staff, worker_id=worker.pk
    )
    assert case.handler == worker
    event = case.events.order_by("-seq").first()
    assert event.payload["functional_worker"] == worker.pk


# --- handling, resolving, verifying -----------------------------------------------------------


def test_the_worker_handles_and_someone_else_verifies(cast, territory):
    worker = fw(territory, "fw_cell")
    case = routed(cast)
    case = services.start_case(case_id=case.pk, by=worker)
    case = services.report_case(case_id=case.pk, by=worker, note="已上门探访，老人安好")
    assert case.status == "feedback"
    assert case.verifier not in (None, worker)
    with pytest.raises(ActionForbidden):  # the handler never verifies their own work
        services.verify_pass(case_id=case.pk, by=worker, note="x")
    case = services.verify_pass(case_id=case.pk, by=case.verifier, note="回访确认")
    assert case.status == "closed"


def test_nobody_else_handles_a_worker_s_case(cast, territory, handler):
    fw(territory, "fw_cell")
    other = fw(territory, "fw_other", scope="community")
    case = routed(cast)
    for intruder in (other, cast.reporter):
        with pytest.raises(ActionForbidden):
            services.start_case(case_id=case.pk, by=intruder)
    with pytest.raises(Http404):  # no department of theirs: not even in the handler's scope
        services.start_case(case_id=case.pk, by=handler)


def test_a_functional_worker_cannot_take_a_department_s_case(cast, territory):
    worker = fw(territory, "fw_cell")
    case = services.dispatch_case(
        case_id=accepted(cast, "C0101").pk, by=cast.staff, department_id=cast.department.pk
    )
    with pytest.raises(ActionForbidden):
        services.start_case(case_id=case.pk, by=worker)


def test_a_functional_worker_resolves_on_the_spot_and_a_grid_worker_verifies(cast, territory):
    worker = fw(territory, "fw_cell")
    case = service_case(worker)
    case = services.self_resolve_case(case_id=case.pk, by=worker, note="已联系家属")
    assert case.status == "feedback"
    assert case.verifier not in (None, worker)


def test_a_functional_worker_verifies_a_service_case_they_did_not_handle(cast, territory):
    worker = fw(territory, "fw_cell")
    case = service_case(worker)  # the worker reports it; a department handles it
    case = services.accept_case(case_id=case.pk, by=cast.staff)
    case = services.dispatch_case(case_id=case.pk, by=cast.staff, department_id=cast.department.pk)
    case = services.start_case(case_id=case.pk, by=cast.handler)
    case = services.report_case(case_id=case.pk, by=cast.handler, note="已安排助餐")
    assert case.verifier == worker  # the reporter verifies, as the standard has it
    assert services.verify_pass(case_id=case.pk, by=worker, note="已核实").status == "closed"


def test_a_functional_worker_never_verifies_other_cases(cast, territory):
    worker = fw(territory, "fw_cell")
    case = create_case(
        by=worker,
        title="井盖丢失",
        description="人行道上水井盖丢失",
        category_code="C0101",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )
    case = services.accept_case(case_id=case.pk, by=cast.staff)
    case = services.dispatch_case(case_id=case.pk, by=cast.staff, department_id=cast.department.pk)
    case = services.start_case(case_id=case.pk, by=cast.handler)
    case = services.report_case(case_id=case.pk, by=cast.handler, note="已补装", photos=[photo()])
    assert case.verifier != worker
    assert Assignment.objects.get(user=case.verifier).role == Role.GRID_WORKER


# --- the home page -----------------------------------------------------------------------------


def test_the_worker_s_home_lists_the_service_cases_in_hand(cast, territory, client):
    worker = fw(territory, "fw_cell")
    case = routed(cast)
    tasks = task_list(worker)
    assert [(t.kind, t.case.pk) for t in tasks if t.case][:1] == [(Kind.SERVICE, case.pk)]
    client.force_login(worker)
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-kind="service"' in page.content.decode()
    assert case.number in page.content.decode()
    services.start_case(case_id=case.pk, by=worker)
    assert [t.kind for t in task_list(worker) if t.case] == [Kind.SERVICE]  # still to report


# --- coverage and the fallback ---------------------------------------------------------------


def test_the_worker_chosen_is_the_worker_a_dispatch_accepts(cast, territory):
    """The community was moved to another street since the case was filed (区划调整): the
    worker of the new street is chosen, and the dispatch holds them to the same coverage."""
    case = accepted(cast)
    community = territory.community1
    community.street, community.code = territory.street2, "009"
    community.save(update_fields=["street", "code"])
    worker = fw(territory, "fw_new_street", scope="street", target=territory.street2)
    routing.route_case(case.pk)
    case.refresh_from_db()
    assert (case.status, case.handler_id, case.department_id) == ("dispatched", worker.pk, None)


def test_a_worker_refused_at_dispatch_falls_back_to_the_departments_route(
    cast, territory, monkeypatch, caplog
):
    """The worker's assignment ended between the lookup and the dispatch (a race a test
    cannot run, so the lookup's stale answer is given): the case takes the routing rule's
    department, with a warning, instead of failing."""
    case = accepted(cast)
    RoutingRule.objects.create(
        category=case.category, district=territory.district, department=cast.department
    )
    monkeypatch.setattr(routing, "functional_worker_for", lambda **kw: cast.worker_a2.pk)
    assert routing.route_case(case.pk) == cast.department.pk
    case.refresh_from_db()
    assert (case.status, case.department) == ("dispatched", cast.department)
    assert "functional worker" in caplog.text


def test_a_functional_worker_may_ask_to_transfer_a_case_in_their_hands(cast, territory):
    """转办 as a department's handler may (issue 16): the street decides; approved, the case goes
    to the department as dispatched and the record says who held it."""
    worker = fw(territory, "fw_cell")
    colleague = fw(territory, "fw_cell_2")
    case = routed(cast)
    assert (case.department, case.handler) == (None, worker)
    ask = {"department_id": cast.department.pk, "reason": "需要城管处理违建"}
    with pytest.raises(ActionForbidden):  # not in their hands
        services.request_transfer(case_id=case.pk, by=colleague, **ask)
    assert "request_transfer" in allowed_actions(case, worker)
    case = services.request_transfer(case_id=case.pk, by=worker, **ask)
    assert case.transfer_to == cast.department
    case = services.approve_transfer(case_id=case.pk, by=cast.staff)
    assert (case.status, case.department, case.handler) == ("dispatched", cast.department, None)
    record = case.events.get(action="approve_transfer").payload["transfer"]
    assert (record["department"], record["handler"], record["to"]) == (
        None,
        worker.pk,
        cast.department.pk,
    )
