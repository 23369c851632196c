"""Personal data at rest, in the admin and when revealed (DESIGN §3)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from residents.crypto import InvalidToken, decrypt, pii_hash
from residents.models import PIIAccessLog, Resident, Tag, id_number_hash_of
from residents.services import reveal_resident_pii, search_residents_by_number

from ..factories import HouseholdFactory, ResidentFactory, UserFactory, make_id_number
from .conftest import ID_A, ID_A_MASKED, PHONE_A, PHONE_A_MASKED

pytestmark = pytest.mark.django_db


def raw_columns(resident: Resident) -> tuple[str, str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, id_number_hash, phone_hash FROM residents_resident "
            "WHERE id = %s",
            [resident.pk],
        )
        return cursor.fetchone()


def test_id_number_and_phone_are_encrypted_at_rest(people):
    raw_id, raw_phone, id_hash, phone_hash = raw_columns(people.a)
    for column in (raw_id, raw_phone, id_hash, phone_hash):
        assert ID_A not in column and ID_A[6:14] not in column
        assert PHONE_A not in column and PHONE_A[3:] not in column
    assert decrypt(raw_id) == ID_A
    assert decrypt(raw_phone) == PHONE_A
    fresh = Resident.objects.get(pk=people.a.pk)
    assert (fresh.id_number, fresh.phone) == (ID_A, PHONE_A)


def test_hashes_are_keyed_and_found_by_lookup(people, district_admin):
    _, _, id_hash, phone_hash = raw_columns(people.a)
    assert id_hash == pii_hash(ID_A) == id_number_hash_of(ID_A.lower())
    assert phone_hash == pii_hash(PHONE_A)
    with override_settings(PII_HASH_KEY="another-key"):
        assert pii_hash(ID_A) != id_hash
    assert list(search_residents_by_number(by=district_admin, number=ID_A, where="test")) == [
        people.a
    ]


def test_bulk_create_and_update_encrypt_too(territory):
    household = HouseholdFactory(cell=territory.cell_a)
    number = make_id_number(birth=date(1990, 1, 2), seq=7)
    [resident] = Resident.objects.bulk_create(
        [
            Resident(
                household=household,
                cell=territory.cell_a,
                name="赵磊",
                gender="M",
                birth_date=date(1990, 1, 2),
                id_number=number,
                id_number_hash=pii_hash(number),
                phone="13700000000",
            )
        ]
    )
    raw_id, raw_phone, _, _ = raw_columns(resident)
    assert number not in raw_id and "13700000000" not in raw_phone
    resident.phone = "13700000001"
    Resident.objects.bulk_update([resident], ["phone"])
    assert "13700000001" not in raw_columns(resident)[1]
    assert Resident.objects.get(pk=resident.pk).phone == "13700000001"


def test_empty_phone_stays_empty(territory):
    resident = ResidentFactory(household__cell=territory.cell_a, phone="")
    assert raw_columns(resident)[1] == ""
    assert raw_columns(resident)[3] == ""
    assert Resident.objects.get(pk=resident.pk).phone == ""


def test_encrypted_columns_refuse_lookups_that_could_never_match(people):
    with pytest.raises(FieldError):
        Resident.objects.filter(id_number=ID_A).exists()
    assert Resident.objects.filter(phone__isnull=False).count() == 3


def test_key_rotation_keeps_rows_readable(people):
    old_key = settings.PII_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    expected = {r.pk: (r.id_number, r.phone) for r in (people.a, people.b, people.x)}
    before = raw_columns(people.a)[0]

    with override_settings(PII_ENCRYPTION_KEYS=[new_key, old_key]):
        # New key first: old rows are still read with the old key ...
        assert Resident.objects.get(pk=people.a.pk).id_number == ID_A
        out = io.StringIO()
        call_command("rotate_pii_keys", "--batch-size", "2", stdout=out)
        assert "Re-encrypted 3 residents" in out.getvalue()

    after = raw_columns(people.a)[0]
    assert after != before
    with pytest.raises(InvalidToken):
        decrypt(after)  # the old key alone no longer opens the rotated row

    with override_settings(PII_ENCRYPTION_KEYS=[new_key]):
        # ... and after rotation the old key can go.
        assert {r.pk: (r.id_number, r.phone) for r in Resident.objects.all()} == expected
        root = UserFactory(is_superuser=True)
        assert list(search_residents_by_number(by=root, number=ID_A, where="test")) == [people.a]


def test_dropping_a_key_before_rotation_fails_loudly(people):
    with override_settings(PII_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        with pytest.raises(InvalidToken):
            Resident.objects.get(pk=people.a.pk)
        with pytest.raises(CommandError, match="no configured key opens"):
            call_command("rotate_pii_keys")


# --- admin -----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    client.user = root
    return client


@pytest.fixture
def desk_client(admin_as, street_staff):
    """Street staff of street 1 in the admin: they serve 王芳 and 李娜 (not 张敏), so they
    get the edit form; a superuser only oversees and gets a masked view."""
    return admin_as(street_staff)


def test_admin_list_shows_only_masked_forms(people, admin_client):
    html = admin_client.get(reverse("admin:residents_resident_changelist")).content.decode()
    assert ID_A_MASKED in html and PHONE_A_MASKED in html
    assert ID_A not in html and PHONE_A not in html
    assert people.x.id_number not in html and "1065529988" not in html


def test_admin_change_page_never_renders_the_whole_number(people, admin_client):
    url = reverse("admin:residents_resident_change", args=[people.a.pk])
    html = admin_client.get(url).content.decode()
    assert ID_A_MASKED in html and PHONE_A_MASKED in html
    assert ID_A not in html and PHONE_A not in html


def test_admin_list_query_count_does_not_grow_with_rows(people, admin_client, territory):
    url = reverse("admin:residents_resident_changelist")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count_queries()
    ResidentFactory.create_batch(6, household__cell=territory.cell_b, tags=[Tag.objects.first()])
    assert count_queries() == small


def test_admin_search_by_whole_id_number_and_phone(people, desk_client):
    url = reverse("admin:residents_resident_changelist")
    for term in (ID_A.lower(), "+86 139 1234 5678", "王芳"):
        html = desk_client.get(url, {"q": term}).content.decode()
        assert "王芳" in html and "李娜" not in html, term
    assert "王芳" not in desk_client.get(url, {"q": ID_A[:-1] + "0"}).content.decode()


def test_admin_change_with_blank_numbers_keeps_them(people, desk_client):
    url = reverse("admin:residents_resident_change", args=[people.a.pk])
    response = desk_client.post(
        url,
        {
            "household": people.a.household_id,
            "name": "王芳芳",
            "gender": "F",
            "birth_date": "1949-12-31",
            "id_number": "",
            "phone": "",
        },
    )
    assert response.status_code == 302, response.content.decode()
    fresh = Resident.objects.get(pk=people.a.pk)
    assert (fresh.name, fresh.id_number, fresh.phone) == ("王芳芳", ID_A, PHONE_A)


def test_admin_change_shows_validation_errors_on_the_field(people, desk_client):
    url = reverse("admin:residents_resident_change", args=[people.a.pk])
    response = desk_client.post(
        url,
        {
            "household": people.a.household_id,
            "name": "王芳",
            "gender": "F",
            "birth_date": "1949-12-31",
            "id_number": ID_A[:-1] + "0",
            "phone": "12345",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "GB 11643" in errors["id_number"][0]
    assert "not a valid phone number" in errors["phone"][0]


def test_admin_add_requires_id_number_and_refuses_duplicates(people, desk_client):
    url = reverse("admin:residents_resident_add")
    data = {"household": people.a.household_id, "name": "新居民", "gender": "M", "phone": ""}
    response = desk_client.post(url, {**data, "id_number": ""})
    assert "id_number" in response.context["adminform"].form.errors
    response = desk_client.post(url, {**data, "id_number": ID_A.lower()})
    assert "already registered" in response.context["adminform"].form.errors["id_number"][0]
    new_number = make_id_number(birth=date(2001, 9, 9), seq=31)
    response = desk_client.post(url, {**data, "id_number": new_number, "phone": "010-65529988"})
    assert response.status_code == 302
    created = Resident.objects.get(name="新居民")
    assert created.birth_date == date(2001, 9, 9)  # taken from the ID number
    assert created.cell_id == people.a.cell_id
    assert created.phone == "1065529988"


def test_admin_reveal_action_asks_a_reason_and_logs(people, admin_client):
    url = reverse("admin:residents_resident_changelist")
    selection = {"action": "reveal_pii", "_selected_action": [people.a.pk, people.b.pk]}
    page = admin_client.post(url, {**selection, "index": 0}).content.decode()
    assert "reason" in page and ID_A not in page
    assert not PIIAccessLog.objects.exists()

    response = admin_client.post(url, {**selection, "reason": "核对低保材料"})
    html = response.content.decode()
    assert ID_A in html and PHONE_A in html and people.b.id_number in html
    assert "no-store" in response["Cache-Control"]
    logs = PIIAccessLog.objects.order_by("resident_id")
    assert [(log.resident, log.user, log.reason) for log in logs] == [
        (people.a, admin_client.user, "核对低保材料"),
        (people.b, admin_client.user, "核对低保材料"),
    ]


def test_reveal_action_is_not_offered_to_street_staff(people, client, street_staff):
    street_staff.is_staff = True
    street_staff.save()
    street_staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="residents", codename__endswith="resident"
        )
    )
    client.force_login(street_staff)
    response = client.get(reverse("admin:residents_resident_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "reveal_pii" not in html
    assert "李娜" in html and "张敏" not in html  # the admin list is scoped too


def test_access_log_admin_is_read_only(people, admin_client, worker_a):
    reveal_resident_pii(resident_id=people.a.pk, by=worker_a, reason="走访")
    log = PIIAccessLog.objects.get()
    assert admin_client.get(reverse("admin:residents_piiaccesslog_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:residents_piiaccesslog_add")).status_code == 403
    url = reverse("admin:residents_piiaccesslog_change", args=[log.pk])
    assert admin_client.post(url, {"reason": "edited"}).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:residents_piiaccesslog_delete", args=[log.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert PIIAccessLog.objects.get().reason == "走访"


def test_household_and_tag_admin_pages_work_and_filter(people, admin_client, territory):
    url = reverse("admin:residents_household_changelist")
    html = admin_client.get(url, {"cell__community__street__id__exact": territory.street2.pk})
    assert html.status_code == 200
    # A superuser oversees: the road, not the door.
    assert "X区****" in html.content.decode() and "A区****" not in html.content.decode()
    assert "X区1号楼" not in html.content.decode()
    assert admin_client.get(reverse("admin:residents_tag_changelist")).status_code == 200
    builtin = Tag.objects.get(code="disabled")
    delete_url = reverse("admin:residents_tag_delete", args=[builtin.pk])
    assert admin_client.get(delete_url).status_code == 403


def test_admin_elderly_filter(people, desk_client):
    url = reverse("admin:residents_resident_changelist")
    html = desk_client.get(url, {"elderly": "yes"}).content.decode()
    assert "王芳" in html and "李娜" not in html and "张敏" not in html


def test_staff_cannot_file_a_resident_into_a_household_outside_their_scope(
    people, client, street_staff
):
    street_staff.is_staff = True
    street_staff.save()
    street_staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="residents")
    )
    client.force_login(street_staff)
    data = {
        "household": people.x.household_id,  # street 2
        "name": "越界",
        "gender": "M",
        "id_number": make_id_number(birth=date(1999, 9, 9), seq=9),
    }
    response = client.post(reverse("admin:residents_resident_add"), data)
    assert "household" in response.context["adminform"].form.errors
    assert not Resident.objects.filter(name="越界").exists()
    url = reverse("admin:residents_resident_change", args=[people.x.pk])
    assert client.get(url).status_code == 404  # out of scope, as on the pages and the API


def test_admin_can_remove_a_phone(people, desk_client):
    url = reverse("admin:residents_resident_change", args=[people.a.pk])
    data = {
        "household": people.a.household_id,
        "name": "王芳",
        "gender": "F",
        "birth_date": "1949-12-31",
        "id_number": "",
        "phone": "",
        "clear_phone": "on",
    }
    assert desk_client.post(url, data).status_code == 302
    fresh = Resident.objects.get(pk=people.a.pk)
    assert (fresh.phone, fresh.phone_hash, fresh.id_number) == ("", "", ID_A)
