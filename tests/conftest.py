"""Persona fixtures over a small territory (DESIGN §6 roles).

district 110105
├── street 001 ── community 001 (2×1 lattice units) ── cell A (west half), cell B (east half)
└── street 002 ── community 001 (1×1, further east) ── cell X
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from cases.selectors import invalidate_categories
from grids.models import Community, Department, District, GridCell, Role, Street
from grids.spatial import invalidate_cell_index
from workflows import tasks
from workflows.calendar import invalidate_calendar

from .factories import AssignmentFactory, DepartmentFactory, UserFactory, assigned_user, grid_box


@dataclass
class Territory:
    district: District
    street1: Street
    street2: Street
    community1: Community
    community2: Community
    cell_a: GridCell
    cell_b: GridCell
    cell_x: GridCell
    department: Department


@pytest.fixture(scope="session", autouse=True)
def _serialized_rollback_everywhere(django_db_setup):
    """Make the database snapshot taken at setup reach every connection object.

    ``serialized_rollback`` restores the rows data migrations made (categories, tags, the
    calendar, beat schedules) from a snapshot Django keeps on the connection object. Once
    Playwright's session-wide event loop runs in the main thread, Django hands tests a new
    connection object without that attribute, so every later transactional test started
    from an empty table. Kept on the class, the snapshot is found by all of them.
    """
    from django.db import connections

    for alias in connections:
        connection = connections[alias]
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is not None:
            type(connection)._test_serialized_contents = contents


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read messages in English, the source language: a request without an
    Accept-Language header gets English here, where a user gets zh-hans (the product's
    default, checked in tests/gridgov/test_i18n.py; browsers send their own language)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


PROCESS_CACHES = (invalidate_cell_index, invalidate_calendar, invalidate_categories)


@pytest.fixture(autouse=True)
def _fresh_process_caches(monkeypatch):
    """Each test builds its own cells and may change categories or the calendar, and a
    rollback sends no signals (SQLite may even reuse the ids): never let a process-wide
    copy made in an earlier test answer (the point → cell index, the working calendar, the
    fileable categories). Nor a note that an earlier test's intake queued a sweep."""
    for requests in (tasks.request_intake_follow_up, tasks.request_effects_delivery):
        monkeypatch.setattr(requests, "_queued_until", 0.0)
    for invalidate in PROCESS_CACHES:
        invalidate()
    yield
    for invalidate in PROCESS_CACHES:
        invalidate()


@pytest.fixture
def territory(db) -> Territory:
    district = District.objects.create(code="110105", name="朝阳区", geometry=grid_box(0, 0, 4, 2))
    street1 = Street.objects.create(
        district=district, code="001", name="一街道", geometry=grid_box(0, 0, 2, 2)
    )
    street2 = Street.objects.create(
        district=district, code="002", name="二街道", geometry=grid_box(2, 0, 2, 2)
    )
    community1 = Community.objects.create(
        street=street1, code="001", name="一社区", geometry=grid_box(0, 0, 2, 1)
    )
    community2 = Community.objects.create(
        street=street2, code="001", name="二社区", geometry=grid_box(2, 0, 1, 1)
    )
    cell_a = GridCell.objects.create(
        community=community1, code="001", name="A", geometry=grid_box(0, 0)
    )
    cell_b = GridCell.objects.create(
        community=community1, code="002", name="B", geometry=grid_box(1, 0)
    )
    cell_x = GridCell.objects.create(
        community=community2, code="001", name="X", geometry=grid_box(2, 0)
    )
    department = DepartmentFactory(district=district, name="城管执法队")
    return Territory(
        district, street1, street2, community1, community2, cell_a, cell_b, cell_x, department
    )


@pytest.fixture
def worker_a(territory):
    """A grid worker of cell A (street 1)."""
    return assigned_user(Role.GRID_WORKER, "cell", territory.cell_a, "worker_a")


@pytest.fixture
def worker_b(territory):
    """A grid worker of cell B (same community as A)."""
    return assigned_user(Role.GRID_WORKER, "cell", territory.cell_b, "worker_b")


@pytest.fixture
def worker_x(territory):
    """A grid worker of cell X, in street 2."""
    return assigned_user(Role.GRID_WORKER, "cell", territory.cell_x, "worker_x")


@pytest.fixture
def volunteer(territory):
    return assigned_user(Role.VOLUNTEER, "community", territory.community1, "volunteer")


@pytest.fixture
def functional_worker(territory):
    """A functional worker (功能性网格员, 养老) of community 1: cells A and B."""
    from grids.models import Specialty

    return assigned_user(
        Role.FUNCTIONAL_WORKER,
        "community",
        territory.community1,
        "functional_worker",
        specialty=Specialty.objects.get(code="elderly_care"),
    )


@pytest.fixture
def street_staff(territory):
    """Street staff of street 1."""
    return assigned_user(Role.STREET_STAFF, "street", territory.street1, "staff1")


@pytest.fixture
def handler(territory):
    return assigned_user(
        Role.HANDLER, "district", territory.district, "handler", department=territory.department
    )


@pytest.fixture
def district_admin(territory):
    return assigned_user(Role.DISTRICT_ADMIN, "district", territory.district, "admin")


@pytest.fixture
def outsider(db):
    """Signed-in user with no assignment at all."""
    return UserFactory(username="outsider")


@pytest.fixture
def former_worker(territory):
    """A grid worker of cell A whose assignment ended yesterday: still an account, no role."""
    today = timezone.localdate()
    user = UserFactory(username="former_worker")
    AssignmentFactory(
        user=user,
        role=Role.GRID_WORKER,
        scope="cell",
        cell=territory.cell_a,
        valid_from=today - timedelta(days=365),
        valid_to=today - timedelta(days=1),
    )
    return user
