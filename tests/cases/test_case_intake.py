"""Intake (create_case), the case number, and the guarantees of the case models."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from cases.models import Attachment, Case, CaseEvent, CaseNumberCounter
from cases.services import REPORTING_ROLES, create_case, file_case
from grids.models import Role
from grids.selectors import visible_cells
from workflows.calendar import TimeLimit, add_working_time
from workflows.errors import ActionForbidden
from workflows.transitions import Actor

from ..factories import AssignmentFactory
from .personas import PNG, POINT_A, POINT_B, POINT_NOWHERE, POINT_X, case_in, new_case, photo

pytestmark = pytest.mark.django_db


def _create(by, point, **extra):
    fields = {"title": "路灯不亮", "description": "路灯夜间不亮", "category_code": "C0104"}
    return create_case(by=by, lon=point[0], lat=point[1], **{**fields, **extra})


def test_create_files_the_cell_street_number_deadline_and_first_event(cast, territory):
    case = _create(cast.reporter, POINT_A, address="幸福路1号")
    assert (case.cell, case.street, case.status) == (
        territory.cell_a,
        territory.street1,
        "collected",
    )
    assert case.priority == case.category.default_priority == "normal"
    assert re.fullmatch(rf"110105-{timezone.localdate():%Y%m%d}-000001", case.number)
    assert case.due_at == add_working_time(
        case.step_started_at, TimeLimit(case.category.accept_limit, case.category.limit_unit)
    )
    assert case.step_started_at < case.remind_at < case.due_at
    event = case.events.get()
    assert (event.seq, event.action, event.from_status, event.to_status, event.actor) == (
        1,
        "create",
        "",
        "collected",
        cast.reporter,
    )
    assert case.version == 1
    assert _create(cast.reporter, POINT_A).number.endswith("-000002")


def test_numbers_count_per_district_and_day():
    day = timezone.localdate()
    first = CaseNumberCounter.next_number(district_code="110105", day=day)
    other = CaseNumberCounter.next_number(district_code="110108", day=day)
    second = CaseNumberCounter.next_number(district_code="110105", day=day)
    assert [first[-6:], other[-6:], second[-6:]] == ["000001", "000001", "000002"]


def test_a_number_taken_by_an_intake_that_rolls_back_is_given_back():
    day = timezone.localdate()
    with transaction.atomic():
        CaseNumberCounter.next_number(district_code="110105", day=day)
        transaction.set_rollback(True)
    assert CaseNumberCounter.next_number(district_code="110105", day=day).endswith("-000001")


def test_point_outside_every_cell_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        _create(cast.reporter, POINT_NOWHERE)
    assert set(exc.value.message_dict) == {"lon", "lat"}
    assert not Case.objects.exists()


@pytest.mark.parametrize(("persona", "point"), [("worker_a", POINT_B), ("staff", POINT_X)])
def test_reporters_stay_inside_their_territory(cast, persona, point):
    by = {"worker_a": cast.reporter, "staff": cast.staff}[persona]
    with pytest.raises(ValidationError) as exc:
        _create(by, point)
    assert "lon" in exc.value.message_dict


def test_volunteer_staff_and_residents_may_report(cast, volunteer, outsider):
    assert _create(volunteer, POINT_B).cell.name == "B"
    hotline = _create(cast.staff, POINT_B, source="hotline")
    assert hotline.source == "hotline" and hotline.reporter == cast.staff
    resident = _create(outsider, POINT_X, source="resident")
    assert resident.cell.name == "X" and resident.reporter == outsider
    anonymous = _create(None, POINT_X, source="open311")
    assert anonymous.reporter is None and anonymous.events.get().actor is None


@pytest.mark.parametrize("persona", ["worker_a", "volunteer", "street_staff", "district_admin"])
def test_reporters_file_in_exactly_the_cells_they_serve(request, territory, persona):
    """Intake decides the territory on the cell it loaded; the answer is the selectors'."""
    user = request.getfixturevalue(persona)
    served = set(visible_cells(user, roles=REPORTING_ROLES).values_list("pk", flat=True))
    assert served
    for cell, point in [
        (territory.cell_a, POINT_A),
        (territory.cell_b, POINT_B),
        (territory.cell_x, POINT_X),
    ]:
        if cell.pk in served:
            assert _create(user, point).cell == cell
        else:
            with pytest.raises(ValidationError):
                _create(user, point)


@pytest.mark.parametrize("persona", ["worker_a", "volunteer", "outsider", "worker_handler", None])
def test_intake_returns_the_reporter_with_the_roles_they_act_with(request, cast, persona):
    if persona == "worker_handler":  # handles for a department, reports in cell A
        user = cast.handler
        AssignmentFactory(
            user=user, role=Role.GRID_WORKER, scope="cell", cell=cast.territory.cell_a
        )
    else:
        user = request.getfixturevalue(persona) if persona else None
    point = POINT_A if persona in ("worker_a", "worker_handler") else POINT_B
    intake = file_case(
        by=user,
        title="路灯不亮",
        description="路灯夜间不亮",
        category_code="C0104",
        lon=point[0],
        lat=point[1],
    )
    assert intake.actor == Actor.of(user if user is not None else AnonymousUser())
    assert intake.case.reporter == user


def test_handlers_may_not_report(cast):
    with pytest.raises(ActionForbidden):
        _create(cast.handler, POINT_A)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"category_code": "C01"}, "category"),  # a major class
        ({"category_code": "C9999"}, "category"),
        ({"priority": "whenever"}, "priority"),
        ({"source": "pigeon"}, "source"),
        ({"title": " "}, "title"),
        ({"description": ""}, "description"),
    ],
)
def test_invalid_fields(cast, extra, field):
    with pytest.raises(ValidationError) as exc:
        _create(cast.reporter, POINT_A, **extra)
    assert field in exc.value.message_dict


def test_urgent_case_runs_on_calendar_hours(cast):
    case = _create(cast.reporter, POINT_A, priority="urgent")
    hours = case.category.urgent_limit_hours
    assert case.due_at - case.step_started_at == timezone.timedelta(hours=float(hours))


def test_report_photos_are_checked_and_stored(cast):
    """Stored as the photo pipeline makes them (tests/cases/test_photos.py): a JPEG."""
    case = _create(cast.reporter, POINT_A, photos=[photo()])
    attachment = case.attachments.get()
    stored = attachment.file.read()
    assert (attachment.stage, attachment.content_type, attachment.size) == (
        "report",
        "image/jpeg",
        len(stored),
    )
    assert attachment.event == case.events.get()
    assert attachment.file.name.startswith(f"cases/{case.pk}/report-")
    assert stored.startswith(b"\xff\xd8\xff") and stored != PNG


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("fake.png", b"MZ\x90\x00 not an image at all"),
        ("doc.pdf", b"%PDF-1.7\n"),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00"),
    ],
)
def test_non_images_are_refused_whatever_their_name(cast, name, data):
    with pytest.raises(ValidationError) as exc:
        _create(cast.reporter, POINT_A, photos=[SimpleUploadedFile(name, data, "image/png")])
    assert "photos" in exc.value.message_dict
    assert not Case.objects.exists()


def test_photos_over_10_mb_are_refused(cast):
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError):
        _create(cast.reporter, POINT_A, photos=[big])
    assert Attachment.objects.count() == 0


def test_status_is_protected(cast):
    case = new_case(cast)
    with pytest.raises(AttributeError):
        case.status = "closed"
    reloaded = Case.objects.get(pk=case.pk)
    with pytest.raises(AttributeError):
        reloaded.status = "closed"
    reloaded.refresh_from_db()  # reloading still works
    assert reloaded.status == "collected"


def test_events_are_append_only(cast):
    case = case_in(cast, "accepted")
    event = case.events.first()
    event.note = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).update(note="x")
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).delete()
    assert case.events.count() == 2
