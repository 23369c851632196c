"""Roster import and export (issue 15 item 2): good, bad and mixed files, nothing half-imported,
idempotent re-import, export in the same layout, access logs written."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from residents.models import Household, PIIAccessLog, PIIListLog, Resident, Tag
from residents.roster import HEADERS, Outcome, export_roster, import_roster, template

from ..factories import make_id_number

pytestmark = pytest.mark.django_db

CELL_A, CELL_B, CELL_X = "110105001001001", "110105001001002", "110105002001001"


def xlsx(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(n: int, *, cell=CELL_A, address="幸福路1号", born=date(1950, 1, 1), **over) -> list:
    values = {
        "cell": cell,
        "address": address,
        "name": f"居民{n}",
        "gender": "女",
        "id": make_id_number(birth=born, seq=2 * n),
        "phone": f"139{n:08d}",
        "tags": "",
    } | over
    return list(values.values())


def outcomes(report) -> list[str]:
    return [r.outcome for r in report.rows]


def test_a_good_file_creates_households_and_residents(worker_a):
    data = xlsx(
        [
            row(1, tags="独居老人"),
            row(2, address="幸福路2号", tags="残疾人、低保/困难户"),
            row(3, address="幸福路2号", born=date(2012, 5, 1), tags=""),
        ]
    )
    report = import_roster(by=worker_a, data=data)
    assert (report.written, outcomes(report)) == (True, [Outcome.CREATED] * 3)
    assert Household.objects.filter(cell__full_code=CELL_A).count() == 2
    first = Resident.objects.get(name="居民1")
    assert (first.birth_date, first.phone) == (date(1950, 1, 1), "13900000001")
    assert [t.code for t in first.tags.all()] == ["elderly_alone"]
    assert first.household.residents.count() == 1
    assert (
        Resident.objects.get(name="居民2").household == Resident.objects.get(name="居民3").household
    )
    log = PIIListLog.objects.get(user=worker_a, where="roster import")
    assert log.rows == 3


def test_re_importing_the_same_file_changes_nothing(worker_a):
    data = xlsx([row(1, tags="独居老人"), row(2)])
    assert import_roster(by=worker_a, data=data).written
    before = list(Resident.objects.order_by("pk").values())
    again = import_roster(by=worker_a, data=data)
    assert (again.written, outcomes(again)) == (False, [Outcome.UNCHANGED] * 2)
    assert list(Resident.objects.order_by("pk").values()) == before
    assert Household.objects.count() == 1


def test_a_changed_row_updates_the_resident(worker_a):
    import_roster(by=worker_a, data=xlsx([row(1), row(2)]))
    report = import_roster(
        by=worker_a,
        data=xlsx([row(1, phone="13800000000", address="幸福路9号", tags="独居老人"), row(2)]),
    )
    assert outcomes(report) == [Outcome.UPDATED, Outcome.UNCHANGED]
    resident = Resident.objects.get(name="居民1")
    assert (resident.phone, resident.household.address) == ("13800000000", "幸福路9号")
    assert [t.code for t in resident.tags.all()] == ["elderly_alone"]
    assert Resident.objects.count() == 2


def test_a_bad_file_is_refused_row_by_row_with_reasons(worker_a):
    good_id = make_id_number(seq=7)
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    report = import_roster(
        by=worker_a,
        data=xlsx(
            [
                row(1, id=bad_id),
                row(2, cell=CELL_X),  # a cell the worker does not serve
                row(3, phone="12345"),
                row(4, gender="?", name=""),
                row(5, tags="不存在的标签"),
            ]
        ),
    )
    assert outcomes(report) == [Outcome.REFUSED] * 5
    reasons = {r.row: " ".join(r.reasons) for r in report.rows}
    assert "check digit" in reasons[2]
    assert CELL_X in reasons[3]
    assert "phone" in reasons[4]
    assert "name" in reasons[5] and "男 or 女" in reasons[5]
    assert "不存在的标签" in reasons[6]
    assert not report.written and Resident.objects.count() == 0


def test_a_mixed_file_writes_nothing_until_every_row_is_good(worker_a):
    good, bad = row(1), row(2, phone="12345")
    report = import_roster(by=worker_a, data=xlsx([good, bad]))
    assert outcomes(report) == [Outcome.CREATED, Outcome.REFUSED]
    assert not report.written
    assert Resident.objects.count() == 0 and Household.objects.count() == 0
    fixed = import_roster(by=worker_a, data=xlsx([good, row(2)]))
    assert fixed.written and Resident.objects.count() == 2


def test_the_same_id_twice_and_a_resident_registered_elsewhere_are_refused(worker_a, worker_x):
    import_roster(by=worker_x, data=xlsx([row(9, cell=CELL_X)]))
    report = import_roster(by=worker_a, data=xlsx([row(1), row(1, name="又一个"), row(9)]))
    assert outcomes(report) == [Outcome.CREATED, Outcome.REFUSED, Outcome.REFUSED]
    assert "row 2" in report.rows[1].reasons[0]
    assert "do not serve" in report.rows[2].reasons[0]
    assert Resident.objects.count() == 1  # worker_x's, untouched


def test_not_a_roster_is_one_clear_error(worker_a):
    assert "Excel" in import_roster(by=worker_a, data=b"not a workbook").error
    wrong = import_roster(by=worker_a, data=xlsx([["x"]], headers=["a", "b"]))
    assert "headers" in wrong.error


def test_export_is_the_import_layout_and_is_logged(worker_a, territory):
    import_roster(by=worker_a, data=xlsx([row(1, tags="独居老人"), row(2, address="幸福路2号")]))
    data = export_roster(by=worker_a, community_id=territory.community1.pk)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [[c or "" for c in r] for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert rows[1][:7] == [CELL_A, "幸福路1号", "居民1", "女", make_id_number(
        birth=date(1950, 1, 1), seq=2
    ), "13900000001", "独居老人"]  # fmt: skip
    # The export re-imports unchanged.
    again = import_roster(by=worker_a, data=data)
    assert outcomes(again) == [Outcome.UNCHANGED] * 2
    assert PIIAccessLog.objects.filter(user=worker_a, reason="roster export").count() == 2
    assert PIIListLog.objects.get(user=worker_a, kind="export").rows == 2


def test_export_leaves_out_those_who_left_and_cells_not_served(worker_a, worker_b, territory):
    import_roster(by=worker_a, data=xlsx([row(1), row(2)]))
    import_roster(by=worker_b, data=xlsx([row(3, cell=CELL_B)]))
    Resident.objects.filter(name="居民2").update(
        moved_out_at=date(2026, 1, 1), left_reason="deceased"
    )
    data = export_roster(by=worker_a, community_id=territory.community1.pk)
    names = [
        r[2] for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)
    ]
    assert names == ["姓名", "居民1"]


def test_the_template_has_the_headers_and_a_sheet_explaining_them():
    book = load_workbook(io.BytesIO(template()))
    assert [c.value for c in book.worksheets[0][1]] == HEADERS
    assert book.sheetnames[1] == "说明"


def test_a_derived_tag_in_the_file_is_accepted_and_not_stored(worker_a):
    report = import_roster(by=worker_a, data=xlsx([row(1, tags="老年人、独居老人")]))
    assert report.written
    assert [t.code for t in Resident.objects.get().tags.all()] == ["elderly_alone"]
    assert Tag.objects.get(code="elderly").min_age == 60


def test_a_resident_registered_while_importing_refuses_the_whole_import(worker_a, territory):
    from residents.services import create_household

    from .race import registered_meanwhile

    elsewhere = create_household(cell=territory.cell_a, address="幸福路99号")
    rows = [row(1), row(2, address="幸福路2号")]
    with registered_meanwhile(household=elsewhere, id_number=rows[1][4]):
        report = import_roster(by=worker_a, data=xlsx(rows))
    assert not report.written
    assert "registered meanwhile" in report.error
    assert not Resident.objects.filter(name__startswith="居民").exists()
    assert not Household.objects.filter(address__in=["幸福路1号", "幸福路2号"]).exists()


def broken_sheet() -> bytes:
    """A real .xlsx whose sheet XML is cut in half: it opens, and fails while rows are read."""
    import zipfile

    good = zipfile.ZipFile(io.BytesIO(xlsx([row(1)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            broken.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", broken_sheet()])
def test_a_corrupt_upload_is_a_400_with_the_error_on_the_file_field(client, worker_a, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(worker_a)
    response = client.post("/households/roster/", {"file": SimpleUploadedFile("r.xlsx", data)})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["This is not an Excel workbook (.xlsx)."]
    assert not Resident.objects.exists()


def test_the_report_shows_each_outcome_by_its_translatable_label(client, worker_a):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils.functional import Promise

    assert all(isinstance(outcome.label, Promise) for outcome in Outcome)
    client.force_login(worker_a)
    upload = SimpleUploadedFile("r.xlsx", xlsx([row(1), row(2, phone="1")]))
    page = client.post("/households/roster/", {"file": upload}).content.decode()
    assert f"<td>{Outcome.CREATED.label}</td>" in page
    assert f"<td>{Outcome.REFUSED.label}</td>" in page
    assert "<td>refused</td>" not in page
