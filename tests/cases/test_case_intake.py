"""Intake (create_case), the case number, and the guarantees of the case models."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Attachment, Case, CaseContact, CaseEvent, CaseNumberCounter, Category
from cases.services import (
    MAX_DESCRIPTION,
    REPORTING_ROLES,
    ReporterContact,
    create_case,
    file_case,
)
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


def test_intake_writes_the_case_row_once_and_takes_the_number_last(cast):
    """The stored case is the one intake returns, field by field; on PostgreSQL it is written
    by one INSERT, the last statement before the commit (the counter's row lock is held only
    from there), and never updated."""
    with CaptureQueriesContext(connection) as queries:
        case = _create(cast.reporter, POINT_A, address="幸福路1号", photos=[photo()])
    stored = Case.objects.get(pk=case.pk)
    for field in Case._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(case, field.attname), field.name
    assert case.events.get().case_id == case.attachments.get().case_id == case.pk
    if connection.vendor == "postgresql":
        sql = [q["sql"] for q in queries.captured_queries]
        writes = [q for q in sql if 'INTO "cases_case"' in q or 'UPDATE "cases_case"' in q]
        assert len(writes) == 1 and writes[0].startswith(
            'WITH n AS (INSERT INTO "cases_casenumbercounter"'
        )
        assert sql[-2] == writes[0] and sql[-1].startswith(("COMMIT", "RELEASE SAVEPOINT"))


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


def test_volunteers_staff_and_anonymous_residents_may_report(cast, volunteer):
    assert _create(volunteer, POINT_B).cell.name == "B"
    hotline = _create(cast.staff, POINT_B, source="hotline")
    assert hotline.source == "hotline" and hotline.reporter == cast.staff
    assert len(hotline.tracking_code) == 10
    anonymous = _create(None, POINT_X, source="open311")
    assert anonymous.reporter is None and anonymous.events.get().actor is None
    assert anonymous.tracking_code and anonymous.tracking_code != hotline.tracking_code


def test_a_user_whose_assignment_ended_may_not_report(cast, territory):
    """Before: a user with no current assignment filed anywhere as a "resident"."""
    from datetime import timedelta

    ended = AssignmentFactory(
        role=Role.GRID_WORKER,
        scope="cell",
        cell=territory.cell_a,
        valid_from=timezone.localdate() - timedelta(days=30),
        valid_to=timezone.localdate() - timedelta(days=1),
    ).user
    with pytest.raises(ActionForbidden, match="no current assignment"):
        _create(ended, POINT_A)
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("persona", "source"),
    [("worker_a", "resident"), ("worker_a", "open311"), (None, "patrol"), (None, "hotline")],
)
def test_the_channel_decides_the_source(cast, persona, source):
    """A signed-in user never files as a resident or Open311, an anonymous one never as
    patrol or hotline: the interface passes its own channel, a client never does."""
    by = cast.reporter if persona else None
    with pytest.raises(ValueError):
        _create(by, POINT_A, source=source)


def test_only_street_staff_take_hotline_calls(cast):
    with pytest.raises(ActionForbidden):
        _create(cast.reporter, POINT_A, source="hotline")


def test_residents_report_only_under_public_categories(cast):
    assert Category.objects.get(code="S0101").public is False  # 独居老人关爱: about a person
    with pytest.raises(ValidationError) as exc:
        _create(None, POINT_A, source="resident", category_code="S0101")
    assert "category" in exc.value.message_dict
    assert _create(cast.reporter, POINT_A, category_code="S0101").category.code == "S0101"


def test_a_resident_contact_is_kept_encrypted_with_the_case(cast):
    contact = ReporterContact(name="王女士", phone="139 1234 5678", email="")
    case = _create(None, POINT_A, source="resident", contact=contact)
    stored = CaseContact.objects.get(case=case)
    assert (stored.name, stored.phone) == ("王女士", "13912345678")
    raw = CaseContact.objects.filter(case=case).values_list("phone", flat=True).query
    with connection.cursor() as cursor:
        cursor.execute(*raw.sql_with_params())
        assert "13912345678" not in cursor.fetchone()[0]
    assert stored.contact_hash == ReporterContact(phone="13912345678").key


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        (ReporterContact(phone="12345"), "phone"),
        (ReporterContact(email="not-an-address"), "email"),
        (ReporterContact(name="名" * 33), "name"),
    ],
)
def test_a_bad_contact_part_is_a_field_error(cast, contact, field):
    with pytest.raises(ValidationError) as exc:
        _create(None, POINT_A, source="resident", contact=contact)
    assert field in exc.value.message_dict


def test_a_description_has_a_length_limit(cast):
    """Before: 2.4 MB of description was accepted."""
    with pytest.raises(ValidationError) as exc:
        _create(cast.reporter, POINT_A, description="很" * (MAX_DESCRIPTION + 1))
    assert "description" in exc.value.message_dict
    assert _create(cast.reporter, POINT_A, description="很" * MAX_DESCRIPTION).pk


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


@pytest.mark.parametrize("persona", ["worker_a", "volunteer", "worker_handler", None])
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
        source="patrol" if user else "resident",
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
        ({"title": " ", "description": " "}, "title"),
        ({"description": ""}, "description"),
    ],
)
def test_invalid_fields(cast, extra, field):
    with pytest.raises(ValidationError) as exc:
        _create(cast.reporter, POINT_A, **extra)
    assert field in exc.value.message_dict


def test_a_blank_title_is_the_descriptions_first_clause(cast):
    """A phone's report is one sentence (the page's form and its offline queue send no
    title)."""
    case = _create(cast.reporter, POINT_A, title=" ", description="井盖丢失，行人容易踩空。")
    assert case.title == "井盖丢失"


def test_urgent_case_runs_on_calendar_hours(cast):
    case = _create(cast.reporter, POINT_A, category_code="E0501")  # urgent by default
    assert case.priority == "urgent"
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
