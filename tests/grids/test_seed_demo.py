"""seed_demo --scale small: a tiling that passes check_coverage, the fixed demo logins,
valid residents, safe re-runs — and 90 days of history: overdue and escalated cases, returns
and the binding queue, suspensions, reworks, ratings, integrity flags, phone-sized photos,
rolled-up days and a department in each grade A–E, shown by the dashboard and the queues.

The demo is seeded once per module, inside a transaction rolled back at the end (each test
runs in a savepoint of it): playing 90 days costs tens of seconds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Min
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import ric

from assessment.models import CellRollup, RolledDay, Satisfaction
from cases.demo_desk import WAITING_PER_STREET
from cases.models import Attachment, Case, CaseEvent, CaseStatus, EscalationLevel
from demo.cast import BEHAVIOURS, PROMPT
from demo.functional import ROUTED
from demo.joint import CASES as JOINT_CASES
from grids.coverage import check_community
from grids.models import Community, Department, DepartmentKind, GridCell, Role, Street
from grids.selectors import user_roles, visible_cells
from integrity.models import IntegrityFlag
from open311.demo import demo_key_in_use
from open311.models import ServiceAttribute
from residents.models import Household, Resident
from residents.validators import validate_id_number
from workflows.models import Notification, NotificationKind, SlaNotice

pytestmark = pytest.mark.django_db

# The sign-in throttle (django-axes) needs the request a password comes with.
SIGN_IN = RequestFactory().post("/accounts/login/")

DEMO_USERS = {
    "demo_admin": Role.DISTRICT_ADMIN,
    "demo_staff": Role.STREET_STAFF,
    "demo_handler": Role.HANDLER,
    "demo_worker": Role.GRID_WORKER,
    "demo_worker2": Role.GRID_WORKER,
    "demo_volunteer": Role.VOLUNTEER,
    "demo_functional": Role.FUNCTIONAL_WORKER,
}


@pytest.fixture(scope="module")
def _demo_seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # as the tests'
        ),
        transaction.atomic(),
    ):
        call_command("seed_demo", scale="small", no_progress=True)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_demo_seeded, db):
    """The seeded demo (a test's changes are rolled back after it)."""


def test_small_demo_has_the_promised_shape(seeded):
    assert Street.objects.count() == 2
    assert Community.objects.count() == 4
    assert GridCell.objects.count() == 20
    assert set(Department.objects.values_list("kind", flat=True)) == set(DepartmentKind.values)
    assert Resident.objects.count() == 2000
    assert 500 < Household.objects.count() < 1200


def test_small_demo_cells_tile_their_communities(seeded):
    for community in Community.objects.all():
        assert check_community(community) == [], community


def test_demo_logins_exist_with_their_roles(seeded):
    for username, role in DEMO_USERS.items():
        user = authenticate(request=SIGN_IN, username=username, password="gridgov-demo")
        assert user is not None, username
        assert user_roles(user) == {role}
    worker = authenticate(request=SIGN_IN, username="demo_worker", password="gridgov-demo")
    worker2 = authenticate(request=SIGN_IN, username="demo_worker2", password="gridgov-demo")
    (cell1,), (cell2,) = visible_cells(worker), visible_cells(worker2)
    assert cell1 != cell2 and cell1.community_id == cell2.community_id
    staff = authenticate(request=SIGN_IN, username="demo_staff", password="gridgov-demo")
    assert {c.community.street.code for c in visible_cells(staff)} == {"001"}


def test_demo_residents_have_valid_id_numbers_and_names(seeded):
    sample = list(Resident.objects.order_by("?")[:200])
    for resident in sample:
        assert validate_id_number(resident.id_number) == resident.id_number
        assert ric.get_birth_date(resident.id_number) == resident.birth_date
        assert int(resident.id_number[16]) % 2 == (1 if resident.gender == "M" else 0)
        assert 2 <= len(resident.name) <= 3
    assert Resident.objects.filter(tags__code="elderly_alone").exists()
    assert Resident.objects.filter(tags__code="child").exists()


@pytest.mark.django_db
def test_a_negative_history_is_refused_before_anything_is_written():
    cells = GridCell.objects.count()  # the module's seeded demo may be here already
    with pytest.raises(CommandError, match="--history"):
        call_command("seed_demo", scale="district", history=-1, reset=True, no_progress=True)
    assert GridCell.objects.count() == cells


def test_rerunning_refuses_and_reset_recreates_without_duplicates(seeded):
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", scale="small", no_progress=True)
    call_command("seed_demo", scale="small", if_empty=True)
    assert GridCell.objects.count() == 20
    plan = sorted(Case.objects.values_list("title", "category", "source", "cell__full_code"))
    # The demo admin looked at residents: the access logs name them, yet the reset goes on.
    from residents.services import record_list_view

    demo_admin = get_user_model().objects.get(username="demo_admin")
    record_list_view(by=demo_admin, where="admin:residents.resident", rows=20)
    call_command("seed_demo", scale="small", reset=True, no_progress=True)
    assert GridCell.objects.count() == 20
    # The same seed, the same demo (relative to when it runs).
    again = sorted(Case.objects.values_list("title", "category", "source", "cell__full_code"))
    assert again == plan
    assert Resident.objects.count() == 2000
    worker = authenticate(request=SIGN_IN, username="demo_worker", password="gridgov-demo")
    assert worker is not None


def test_small_demo_cases_cover_the_loop_and_replay_exactly(seeded):
    from cases.models import Case, CaseStatus
    from workflows.services import replay_events, replayed_state

    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    assert Case.objects.filter(rework_count__gt=0, status="closed").exists()
    assert Case.objects.filter(duplicate_of__isnull=False).exists()
    assert Case.objects.filter(requested_due_at__isnull=False).exists()  # extension pending
    cases = Case.objects.prefetch_related("events")
    # The workers' 300, the residents' 40 (portal, Open311 and hotline, demo.residents), the
    # open report that shows "already reported nearby" (cases.demo.create_nearby_report) and
    # fresh reports waiting in the two street queues (cases.demo_desk), the joint cases
    # (demo.joint), the functional worker's routed service cases plus one resolved on the spot
    # and one to verify (demo.functional), and the service case a care check-in filed (care.demo).
    functional = len(ROUTED) + 2
    assert len(cases) == 300 + 40 + 1 + 2 * WAITING_PER_STREET + JOINT_CASES + functional + 1
    assert Case.objects.filter(status="collected", street__code="001").count() > 50
    for source in ("resident", "open311", "hotline"):
        assert Case.objects.filter(source=source).exists(), source
    # The documented Open311 demo key works, and some services ask questions (attributes).
    assert demo_key_in_use() and ServiceAttribute.objects.filter(category__code="C0101").exists()
    assert Case.objects.filter(reopen_requested_at__isnull=False).exists()  # for the approvals
    for case in cases:
        assert replay_events(case.events.all()) == replayed_state(case), case.number


def test_small_demo_shows_joint_handling(seeded):
    """A joint case (城管 lead, 消防 co-department, both summoned, 消防 on site), a week of
    summonses with two late check-ins in the rollups, and a transfer waiting for the street."""
    from assessment.models import ArrivalRollup
    from cases.models import Summons
    from workflows.services import joint_state, joint_state_from_events

    case = Case.objects.get(parts__isnull=False)
    assert (case.status, case.department.kind, case.open_parts) == (
        "dispatched",
        "urban_management",
        1,
    )
    assert case.parts.get().department.kind == DepartmentKind.FIRE
    assert case.pending_summons == 1
    assert joint_state_from_events(case.events.all()) == joint_state(case)
    handler = get_user_model().objects.get(username="handler_fire")
    assert case.summonses.get(checked_in_by=handler).in_cell
    assert Summons.objects.filter(overdue=True).count() == 2
    rolled = ArrivalRollup.objects.filter(department__kind=DepartmentKind.URBAN_MANAGEMENT)
    assert sum(rolled.values_list("summoned", flat=True)) == 6
    assert sum(rolled.values_list("on_time", flat=True)) == 4
    assert Case.objects.filter(transfer_to__kind=DepartmentKind.MARKET_REGULATION).count() == 1


def test_small_demo_shows_already_reported_nearby(seeded):
    """demo_worker reporting at the middle of their cell is offered the volunteer's open
    report there (the report page's "already reported?")."""
    from shapely.geometry import shape

    from cases.selectors import open_cases_near

    worker = get_user_model().objects.get(username="demo_worker")
    cell = visible_cells(worker).get()
    point = shape(cell.geometry).representative_point()
    near = open_cases_near(worker, lon=point.x, lat=point.y, category_code="C0101")
    assert [case.reporter.username for case, _distance in near] == ["demo_volunteer"]


def test_small_demo_shows_a_note_added_to_an_open_report(seeded):
    """ "Add to it": a worker's note on a resident's open report (portal or hotline), its
    reporter unchanged."""
    from cases.models import OPEN_STATUSES, CaseEvent

    added = CaseEvent.objects.filter(action="supplement").select_related("case", "actor")
    assert added.exists()
    for event in added:
        assert event.case.status in OPEN_STATUSES and event.case.source != "patrol"
        assert event.case.reporter_id != event.actor_id


def test_small_demo_shows_the_field_day(seeded):
    """demo_worker's home has tasks of every kind but rejections (the demo's are not all
    theirs), visits with notes and GPS fixes, and the two visit flags on the review page."""
    from cases.today import Kind, task_list
    from integrity.models import IntegrityFlag, Rule
    from residents.models import Visit

    worker = get_user_model().objects.get(username="demo_worker")
    kinds = {t.kind for t in task_list(worker)}
    assert {Kind.VISIT, Kind.DEADLINE} <= kinds
    visits = Visit.objects.filter(worker=worker)
    assert visits.exclude(note="").exists() and visits.filter(lon__isnull=False).exists()
    assert visits.exclude(photo="").count() == 3
    assert IntegrityFlag.objects.filter(rule=Rule.VISIT_OUTSIDE_CELL).count() == 1
    assert IntegrityFlag.objects.filter(rule=Rule.VISIT_RUN).count() == 1
    # Report photos carry capture facts; a few were taken far from their case.
    from cases.models import Attachment

    captured = Attachment.objects.filter(capture_lon__isnull=False)
    assert captured.exists() and any(p.is_far for p in captured)


def test_small_demo_shows_care(seeded):
    """Care plans with done, missed and volunteer tasks, an organisation with demo_volunteer
    as its member, a check-in's service case linked to its household (care.demo)."""
    from care.models import CarePlan, CareTask, SocialOrganisation
    from care.selectors import missed_for_community, volunteer_tasks
    from cases.models import Case

    user = get_user_model().objects.get
    assert CarePlan.objects.filter(worker__username="demo_worker").count() >= 3
    org = SocialOrganisation.objects.get()
    assert org.volunteers.get().user.username == "demo_volunteer"
    assert missed_for_community(user(username="demo_staff")).count() == 1
    assert volunteer_tasks(user(username="demo_volunteer"))
    assert CareTask.objects.filter(hours__isnull=False, done_by__username="demo_volunteer")
    assert Case.objects.filter(household__isnull=False, resident__isnull=False).count() == 1


# --- 90 days of history ---------------------------------------------------------------


def test_the_small_demo_has_90_days_of_history(seeded):
    today = timezone.localdate()
    first = timezone.localdate(Case.objects.aggregate(first=Min("created_at"))["first"])
    assert (today - first).days >= 85
    # the SLA scanner's own marks, made at the simulated times
    assert SlaNotice.objects.filter(kind=NotificationKind.OVERDUE).count() >= 20
    assert SlaNotice.objects.filter(kind=NotificationKind.ESCALATION).exists()
    assert Notification.objects.filter(kind=NotificationKind.OVERDUE, case=None).exists()
    assert Case.objects.filter(escalation_level=EscalationLevel.RED, status="dispatched").exists()
    assert Case.objects.filter(overdue=True, status__in=("dispatched", "handling")).count() >= 5
    # returns, and a case the district must assign after two
    assert CaseEvent.objects.filter(action="return").count() >= 4
    assert Case.objects.filter(status=CaseStatus.ACCEPTED, return_count__gte=2).exists()
    assert Case.objects.filter(binding=True, status=CaseStatus.CLOSED).exists()
    # suspensions: waiting for their review date, one past it (escalated), one resumed
    suspended = Case.objects.filter(status=CaseStatus.SUSPENDED)
    assert suspended.filter(review_at__gt=timezone.now()).exists()
    assert suspended.filter(review_at__lt=timezone.now(), overdue=True).exists()
    assert CaseEvent.objects.filter(action="resume").exists()
    # reworks, residents' ratings and callbacks (≥ 5 in one department: 满意率 shows)
    assert CaseEvent.objects.filter(action="verify_fail").count() >= 5
    rated = Satisfaction.objects.filter(score__isnull=False)
    assert rated.filter(channel=Satisfaction.Channel.PHONE).exists()
    per_department = rated.values("case__department").annotate(n=Count("id"))
    assert max(row["n"] for row in per_department) >= 5
    # the days rolled up, flags already found
    days = RolledDay.objects.filter(day__gte=today - timedelta(days=90), day__lt=today)
    assert days.count() == 90
    assert CellRollup.objects.values("start").distinct().count() >= 80  # days with cases
    rules = set(IntegrityFlag.objects.values_list("rule", flat=True))
    assert {"reused_photo", "verification_too_fast"} <= rules, rules


def test_demo_photos_are_phone_sized_and_distinct(seeded):
    photos = list(Attachment.objects.exclude(width=None)[:40])
    assert len(photos) == 40
    for photo in photos:
        assert photo.width >= 1000 and photo.size >= 100_000, photo.pk
    sizes = {p.size for p in photos}
    assert len(sizes) > 30  # not one picture copied


def grades(client, level: str) -> dict[str, str]:
    end = timezone.localdate()
    response = client.get(
        "/api/v1/indicators/",
        {"level": level, "start": end - timedelta(days=29), "end": end},
    )
    assert response.status_code == 200
    return {row["name"]: row["grade"] for row in response.json()["results"]}


def test_the_dashboard_shows_every_grade_and_the_overdue_board(
    seeded, client, django_assert_max_num_queries
):
    admin = get_user_model().objects.get(username="demo_admin")
    client.force_login(admin)
    by_department = grades(client, "department")
    assert {"A", "B", "C", "D", "E"} <= set(by_department.values()), by_department
    # each for the reason the cast gives it (demo/cast.py)
    expected = {
        Department.objects.get(kind=kind).name: behaviour.grade
        for kind, behaviour in BEHAVIOURS.items()
        if behaviour is not PROMPT
    }
    assert {name: by_department[name] for name in expected} == expected
    with django_assert_max_num_queries(30):
        assert client.get(reverse("dashboard")).status_code == 200
    end = timezone.localdate()
    trend = client.get(
        "/api/v1/indicators/trend/",
        {"bucket": "day", "start": end - timedelta(days=60), "end": end},
    ).json()
    assert sum(1 for point in trend["results"] if point["counts"]["filed"]) >= 40
    with django_assert_max_num_queries(40):
        board = client.get(reverse("queue"), {"tab": "overdue"})
    assert board.status_code == 200 and board.context["waiting"] >= 5
    binding = client.get(reverse("queue"), {"tab": "binding"})
    assert len(binding.context["cases"]) >= 1


def test_the_demo_functional_worker_has_service_cases_and_households(seeded, client):
    from cases.today import Kind, task_list

    worker = get_user_model().objects.get(username="demo_functional")
    kinds = [t.kind for t in task_list(worker)]
    assert kinds.count(Kind.SERVICE) == 2  # routed to them by specialty (养老), one started
    assert kinds.count(Kind.VERIFY) == 1  # a service case 民政 handled, theirs to verify
    handled = Case.objects.filter(handler=worker, department__isnull=True)
    assert {c.category.code[:3] for c in handled} == {"S01"}
    client.force_login(worker)
    page = client.get("/households/")
    assert page.status_code == 200 and page.content.decode().count('data-testid="household-row"')
