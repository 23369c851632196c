"""Fixtures for case tests, shared by tests/cases and tests/workflows (imported by both
conftests): extra personas, photos, and cases walked to each state through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from cases.models import Case, CaseStatus
from cases.services import ReporterContact, create_case
from grids.models import Role
from workflows import services

from ..factories import DepartmentFactory, assigned_user
from .images import encoded

# A point in the middle of each persona cell (see tests/conftest.py), and one outside all.
POINT_A = (116.405, 39.905)
POINT_B = (116.415, 39.905)
POINT_X = (116.425, 39.905)
POINT_NOWHERE = (116.60, 39.95)
# A real 8×8 grey PNG: a photo the pipeline accepts, too small and flat to fingerprint.
PNG = encoded(Image.new("RGB", (8, 8), (128, 128, 128)), "PNG")


def photo(name: str = "photo.png", data: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Photos go to a temporary folder; test users get a fast password hash."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_cross_check(settings):
    """Verification stays in the case's cell unless a test raises the share."""
    settings.CROSS_CHECK_SHARE = 0


@pytest.fixture
def as_user(client):
    """``as_user(user)``: the test client, signed in as ``user`` (a session, as on the pages)."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def worker_a2(territory):
    """A second grid worker of cell A (verifies what worker_a resolved on the spot)."""
    return assigned_user(Role.GRID_WORKER, "cell", territory.cell_a, "worker_a2")


@pytest.fixture
def staff2(territory):
    """Street staff of street 2."""
    return assigned_user(Role.STREET_STAFF, "street", territory.street2, "staff2")


@pytest.fixture
def other_department(territory):
    return DepartmentFactory(
        district=territory.district, name="市场监管所", kind="market_regulation"
    )


@pytest.fixture
def other_handler(territory, other_department):
    """A handler of another department."""
    return assigned_user(
        Role.HANDLER, "district", territory.district, "handler2", department=other_department
    )


@pytest.fixture
def cast(territory, worker_a, worker_a2, worker_b, street_staff, handler):
    """The people a case of cell A meets on its way, as a namespace."""

    class Cast:
        pass

    cast = Cast()
    cast.territory = territory
    cast.reporter = worker_a
    cast.worker_a2 = worker_a2
    cast.worker_b = worker_b
    cast.staff = street_staff
    cast.handler = handler
    cast.department = territory.department
    return cast


def new_case(cast, *, category_code: str = "C0101", resident: bool = False) -> Case:
    """A report in cell A: the worker's, or (``resident``) an anonymous resident's from the
    portal, with a contact and a tracking code. Priority is the category's (E0501 is an
    urgent one)."""
    extra = (
        {"by": None, "source": "resident", "contact": ReporterContact(phone="13912345678")}
        if resident
        else {"by": cast.reporter}
    )
    return create_case(
        title="井盖丢失",
        description="人行道上水井盖丢失",
        category_code=category_code,
        lon=POINT_A[0],
        lat=POINT_A[1],
        **extra,
    )


# How to reach each state from collected, step by step: (action, actor attribute).
PATH_TO = {
    CaseStatus.COLLECTED: [],
    CaseStatus.ACCEPTED: ["accept"],
    CaseStatus.REJECTED: ["reject"],
    CaseStatus.DISPATCHED: ["accept", "dispatch"],
    CaseStatus.HANDLING: ["accept", "dispatch", "start"],
    CaseStatus.SUSPENDED: ["accept", "dispatch", "start", "suspend"],
    CaseStatus.FEEDBACK: ["accept", "dispatch", "start", "report"],
    CaseStatus.CLOSED: ["accept", "dispatch", "start", "report", "verify_pass"],
}


def actor_for(cast, action: str, case: Case):
    """The person who may do ``action`` on ``case`` (if its state allows)."""
    if action in {"return", "start", "report", "request_extension"}:
        return cast.handler
    if action == "self_resolve":
        return cast.reporter
    if action in {"verify_pass", "verify_fail"}:
        return case.verifier or cast.reporter
    if action == "assign_binding":
        return cast.admin  # a district admin: set by tests that need one (district_admin)
    if action in {"report_part", "check_in"}:
        return getattr(
            cast, "co_handler", None
        )  # a co-department's handler: set by tests (with_co_department)
    if action == "request_transfer":
        return cast.handler
    return cast.staff


def with_co_department(cast, handler):
    """Joint handling's second department (协办, summoned, transferred to): ``handler``'s."""
    cast.co_handler = handler
    cast.co_department = handler.assignments.get().department
    return cast


def _joint_kwargs(cast, action: str) -> dict | None:
    co = getattr(cast, "co_department", None)
    co_pk = co.pk if co else 0  # refused before its fields are read, where there is none
    return {
        "add_codepartment": lambda: {"department_id": co_pk, "note": "清理消防通道"},
        "report_part": lambda: {"note": "消防通道已清理", "photos": [photo()]},
        "release_part": lambda: {"department_id": co_pk, "reason": "无需协办"},
        "summon": lambda: {"department_ids": [cast.department.pk, co_pk]},
        "check_in": lambda: {"lon": POINT_A[0], "lat": POINT_A[1], "accuracy": 10},
        "request_transfer": lambda: {"department_id": co_pk, "reason": "属市场监管职责"},
        "approve_transfer": dict,
        "refuse_transfer": lambda: {"reason": "仍属城管职责"},
    }.get(action, lambda: None)()


# What a joint action needs done first (an open part, a summons, a transfer request).
JOINT_SETUP = {
    "report_part": "add_codepartment",
    "release_part": "add_codepartment",
    "check_in": "summon",
    "approve_transfer": "request_transfer",
    "refuse_transfer": "request_transfer",
}


def kwargs_for(cast, action: str, case: Case) -> dict:
    """Valid fields for ``action`` on ``case`` (a merge files the case it is merged into)."""
    joint = _joint_kwargs(cast, action)
    if joint is not None:
        return joint
    if action == "merge":
        return {"duplicate_of_id": new_case(cast).pk}
    if action == "request_extension":
        return {
            "reason": "需采购井盖",
            "due_at": (case.due_at or timezone.now()) + timedelta(days=5),
        }
    return {
        "accept": {},
        "reject": {"reason": "不属于受理范围"},
        "self_resolve": {"note": "已现场补装", "photos": [photo()]},
        "dispatch": {"department_id": cast.department.pk},
        "assign_binding": {"department_id": cast.department.pk},
        "return": {"reason": "非本部门职责"},
        "start": {},
        "report": {"note": "已补装井盖", "photos": [photo()]},
        "approve_extension": {},
        "refuse_extension": {"reason": "材料已到，请按期完成"},
        "suspend": {"reason": "等待产权单位确认", "review_at": timezone.now() + timedelta(days=14)},
        "resume": {},
        "verify_pass": {"note": "现场核查合格", "photos": [photo()]},
        "verify_fail": {"reason": "井盖未固定"},
        "reopen": {},
        "decline_reopen": {"reason": "已核实修复，井盖完好"},
    }[action]


def act(cast, action: str, case: Case, *, by=None, **overrides) -> Case:
    by = by or actor_for(cast, action, case)
    fields = {**kwargs_for(cast, action, case), **overrides}
    return services.SERVICES[action](case_id=case.pk, by=by, **fields)


def returned_twice(cast, case: Case) -> Case:
    """``case`` (accepted) dispatched and returned twice: it now awaits the district admin's
    binding assignment (指定承办)."""
    for _round in range(2):
        case = act(cast, "return", act(cast, "dispatch", case))
    return case


def case_in(cast, status: str, **create) -> Case:
    """A case of cell A walked to ``status`` through the services."""
    case = new_case(cast, **create)
    for action in PATH_TO[status]:
        case = act(cast, action, case)
    assert case.status == status
    return case
