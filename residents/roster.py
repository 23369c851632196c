"""A community's roster (花名册) in and out of Excel, one row per resident (issue 15).

The layout is fixed, Chinese headers on the first sheet (``COLUMNS``); ``template()`` gives an
empty workbook with a second sheet explaining each column, and ``export_roster`` writes the
same layout, so an exported roster imports back unchanged.

Import (``import_roster``) reads every row first and decides each one: **created** (a new
resident; the household at that cell and address is created if missing), **updated** (a
resident already registered by this ID number, in a cell the importer serves, whose details
differ), **unchanged**, or **refused** with the reasons (bad ID number or phone, a cell the
importer does not serve, a resident registered elsewhere, the same ID number twice in the
file …). Only if no row is refused is anything written, all in one transaction: a roster is
never half-imported, and importing the same file again changes nothing (every row
unchanged). The checks are the model's (``validators``); the writes are bulk, so 10,000 rows
take seconds (``bench/roster_import.py``).

Export and import both go to the personal-data logs: an export shows ID numbers and phones
whole, so each exported resident gets a ``PIIAccessLog`` row (reason ``roster export``) and
the export a ``PIIListLog`` row; an import a ``PIIListLog`` row with the number of rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from .masking import mask_id_number
from .models import (
    Gender,
    Household,
    PIIAccessLog,
    PIIListLog,
    Resident,
    Tag,
    id_number_hash_of,
    phone_hash_of,
)
from .selectors import cells_open_to, residents_served_by
from .services import record_list_view
from .validators import birth_date_from_id_number, normalize_cn_phone, validate_id_number

# (header, what it holds) — the order is the layout.
COLUMNS: list[tuple[str, object]] = [
    ("网格编码", gettext_lazy("15-digit code of the grid cell, e.g. 110105001001001")),
    (
        "地址",
        gettext_lazy(
            "the household's address; rows with the same cell and address are one household"
        ),
    ),
    ("姓名", gettext_lazy("name")),
    ("性别", gettext_lazy("男 or 女")),
    ("身份证号", gettext_lazy("18-character ID number; the birth date is read from it")),
    ("电话", gettext_lazy("mobile or landline with area code; may be empty")),
    (
        "标签",
        gettext_lazy(
            "tag names separated by 、 or commas (独居老人、残疾人); 老年人 is from the birth date"
        ),
    ),
]
HEADERS = [header for header, _help in COLUMNS]
GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "M": Gender.MALE, "F": Gender.FEMALE}
GENDER_NAMES = {Gender.MALE: "男", Gender.FEMALE: "女"}
TAG_SEPARATORS = ("、", ",", "，", ";", "；")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows of the report shown on the page (all refused rows are always shown).
REPORT_ROWS_SHOWN = 500
ADDRESS_MAX = Household._meta.get_field("address").max_length
NAME_MAX = Resident._meta.get_field("name").max_length


class Outcome(models.TextChoices):
    """What the import does with a row (the report's result column)."""

    CREATED = "created", gettext_lazy("新增 created")
    UPDATED = "updated", gettext_lazy("更新 updated")
    UNCHANGED = "unchanged", gettext_lazy("未变 unchanged")
    REFUSED = "refused", gettext_lazy("拒绝 refused")


@dataclass
class RowResult:
    row: int  # the spreadsheet's row number (the header is row 1)
    outcome: str
    name: str = ""
    id_masked: str = ""
    reasons: list[str] = field(default_factory=list)

    @property
    def outcome_label(self) -> str:
        return Outcome(self.outcome).label


@dataclass
class RosterReport:
    rows: list[RowResult]
    written: bool
    error: str = ""  # the file itself is unusable (not a workbook, wrong headers)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {o.value: self.count(o) for o in Outcome}

    @property
    def shown(self) -> list[RowResult]:
        refused = [r for r in self.rows if r.outcome == Outcome.REFUSED]
        others = [r for r in self.rows if r.outcome != Outcome.REFUSED]
        return sorted(
            refused + others[: max(0, REPORT_ROWS_SHOWN - len(refused))], key=lambda r: r.row
        )


@dataclass
class _Row:
    """One valid row, normalised."""

    number: int
    cell_id: int
    address: str
    name: str
    gender: str
    id_number: str
    birth_date: date
    phone: str
    tag_ids: frozenset[int]
    id_hash: str = ""


# --- reading ---------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a cell Excel thought numeric
    return str(value).strip()


def _read(data: bytes) -> list[tuple[int, list[str]]]:
    """(row number, cells as text) of the first sheet's non-empty rows, header checked;
    ``ValueError`` with a message for a file that is not a roster."""
    book = None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        values = book.worksheets[0].iter_rows(values_only=True)
        rows = [[_text(v) for v in cells][: len(HEADERS)] for cells in values]
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a bad file
        raise ValueError(_("This is not an Excel workbook (.xlsx).")) from exc
    finally:
        if book is not None:
            book.close()
    if not rows or rows[0] != HEADERS:
        raise ValueError(
            _("The first row must be the template's headers: %(headers)s.")
            % {"headers": " | ".join(HEADERS)}
        )
    found = []
    for number, cells in enumerate(rows[1:], start=2):
        cells += [""] * (len(HEADERS) - len(cells))
        if any(cells):
            found.append((number, cells))
    return found


def _check(number: int, cells: list[str], *, cells_by_code: dict, tags_by_name: dict):
    """A ``_Row`` or the list of reasons the row is refused."""
    cell_code, address, name, gender, id_number, phone, tag_text = cells
    reasons: list[str] = []
    cell_id = cells_by_code.get(cell_code)
    if cell_id is None:
        reasons.append(_("Grid cell “%(code)s” is not one you serve.") % {"code": cell_code})
    if not address:
        reasons.append(_("The address is empty."))
    elif len(address) > ADDRESS_MAX:
        reasons.append(_("The address is longer than %(max)d characters.") % {"max": ADDRESS_MAX})
    if not name:
        reasons.append(_("The name is empty."))
    elif len(name) > NAME_MAX:
        reasons.append(_("The name is longer than %(max)d characters.") % {"max": NAME_MAX})
    if gender not in GENDERS:
        reasons.append(_("Gender must be 男 or 女."))
    born = None
    try:
        id_number = validate_id_number(id_number)
        born = birth_date_from_id_number(id_number)
    except ValidationError as exc:
        reasons.extend(exc.messages)
    if phone:
        try:
            phone = normalize_cn_phone(phone)
        except ValidationError as exc:
            reasons.extend(exc.messages)
    tag_ids = set()
    for tag_name in _split_tags(tag_text):
        tag = tags_by_name.get(tag_name)
        if tag is None:
            reasons.append(_("Unknown tag “%(tag)s”.") % {"tag": tag_name})
        elif tag.min_age is None:
            tag_ids.add(tag.pk)  # a derived tag (老年人) follows from the birth date
    if reasons:
        return reasons
    return _Row(
        number, cell_id, address, name, GENDERS[gender], id_number, born, phone, frozenset(tag_ids)
    )


def _split_tags(text: str) -> list[str]:
    for separator in TAG_SEPARATORS[1:]:
        text = text.replace(separator, TAG_SEPARATORS[0])
    return [part.strip() for part in text.split(TAG_SEPARATORS[0]) if part.strip()]


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- import ----------------------------------------------------------------------------------


def import_roster(*, by, data: bytes) -> RosterReport:
    """Check every row of the roster ``data`` (xlsx bytes) and, if none is refused, write them
    all in one transaction (see the module docstring). Returns the row-by-row report."""
    try:
        raw = _read(data)
    except ValueError as exc:
        return RosterReport(rows=[], written=False, error=str(exc))
    cells_by_code = dict(cells_open_to(by).values_list("full_code", "pk"))
    tags = list(Tag.objects.all())
    tags_by_name = {t.name: t for t in tags} | {t.code: t for t in tags}
    results: dict[int, RowResult] = {}
    valid: list[_Row] = []
    first_row_of: dict[str, int] = {}
    for number, cells in raw:
        checked = _check(number, cells, cells_by_code=cells_by_code, tags_by_name=tags_by_name)
        result = RowResult(row=number, outcome=Outcome.REFUSED, name=cells[2])
        results[number] = result
        if isinstance(checked, list):
            result.reasons = checked
            result.id_masked = mask_id_number(cells[4]) if len(cells[4]) == 18 else ""
            continue
        result.id_masked = mask_id_number(checked.id_number)
        checked.id_hash = id_number_hash_of(checked.id_number)
        if checked.id_hash in first_row_of:
            result.reasons = [
                _("The same ID number as row %(row)d.") % {"row": first_row_of[checked.id_hash]}
            ]
            continue
        first_row_of[checked.id_hash] = number
        valid.append(checked)
    existing = _existing(by, valid, results)
    changes = _decide(valid, existing, results)
    report = RosterReport(rows=[results[n] for n in sorted(results)], written=False)
    if report.count(Outcome.REFUSED) == 0 and (changes[0] or changes[1]):
        try:
            _write(*changes)
        except IntegrityError:
            # The rows were checked against what was registered then; a worker or another
            # import registered one of these ID numbers since. ``_write`` is one transaction,
            # so nothing of this file was kept.
            report.error = _(
                "One of these ID numbers was registered meanwhile by someone else, so nothing "
                "was imported. Import the file again: the report will show which row."
            )
        else:
            report.written = True
    record_list_view(by=by, where="roster import", rows=len(report.rows))
    return report


def _existing(by, rows: list[_Row], results: dict[int, RowResult]) -> dict[str, Resident]:
    """Registered residents by ID hash; a row whose resident is registered in a cell ``by``
    does not serve is refused (it is someone else's to change, and no page may tell more)."""
    served = residents_served_by(by)
    found: dict[str, Resident] = {}
    for chunk in _chunks([r.id_hash for r in rows]):
        for resident in Resident.objects.filter(id_number_hash__in=chunk).prefetch_related("tags"):
            found[resident.id_number_hash] = resident
    outside = set()
    for chunk in _chunks([r.pk for r in found.values()]):
        outside |= set(chunk) - set(served.filter(pk__in=chunk).values_list("pk", flat=True))
    for row in rows:
        resident = found.get(row.id_hash)
        if resident is not None and resident.pk in outside:
            results[row.number].reasons = [
                _("This ID number is registered in a cell you do not serve.")
            ]
            del found[row.id_hash]
    return found


def _decide(rows: list[_Row], existing: dict[str, Resident], results: dict[int, RowResult]):
    """(new rows, (resident, row) pairs to update), marking each result's outcome."""
    new: list[_Row] = []
    updates: list[tuple[Resident, _Row]] = []
    households = _households_of(rows)
    for row in rows:
        result = results[row.number]
        if result.reasons:
            continue
        resident = existing.get(row.id_hash)
        if resident is None:
            result.outcome = Outcome.CREATED
            new.append(row)
            continue
        household = households.get((row.cell_id, row.address))
        same = (
            resident.name == row.name
            and resident.gender == row.gender
            and resident.birth_date == row.birth_date
            and resident.phone == row.phone
            and household is not None
            and resident.household_id == household.pk
            and {t.pk for t in resident.tags.all()} == set(row.tag_ids)
        )
        result.outcome = Outcome.UNCHANGED if same else Outcome.UPDATED
        if not same:
            updates.append((resident, row))
    return new, updates


def _households_of(rows: Iterable[_Row]) -> dict[tuple[int, str], Household]:
    keys = {(r.cell_id, r.address) for r in rows}
    found: dict[tuple[int, str], Household] = {}
    for chunk in _chunks(sorted({address for _cell, address in keys})):
        for household in Household.objects.filter(
            address__in=chunk, cell_id__in={cell for cell, _a in keys}
        ).order_by("pk"):
            found.setdefault((household.cell_id, household.address), household)
    return found


@transaction.atomic
def _write(new: list[_Row], updates: list[tuple[Resident, _Row]]) -> None:
    rows = new + [row for _resident, row in updates]
    households = _households_of(rows)
    missing = sorted({(r.cell_id, r.address) for r in rows} - households.keys())
    created = Household.objects.bulk_create(
        [Household(cell_id=cell, address=address) for cell, address in missing]
    )
    if created and created[0].pk is None:  # a backend that returns no ids: read them back
        households = _households_of(rows)
    else:
        households |= {(h.cell_id, h.address): h for h in created}
    residents = [
        Resident(
            household=households[(r.cell_id, r.address)],
            cell_id=r.cell_id,
            name=r.name,
            gender=r.gender,
            birth_date=r.birth_date,
            id_number=r.id_number,
            id_number_hash=r.id_hash,
            phone=r.phone,
            phone_hash=phone_hash_of(r.phone),
        )
        for r in new
    ]
    Resident.objects.bulk_create(residents, batch_size=500)
    if residents and residents[0].pk is None:
        ids = dict(
            Resident.objects.filter(id_number_hash__in=[r.id_hash for r in new]).values_list(
                "id_number_hash", "pk"
            )
        )
        for resident in residents:
            resident.pk = ids[resident.id_number_hash]
    changed = []
    for resident, row in updates:
        resident.household = households[(row.cell_id, row.address)]
        resident.cell_id = row.cell_id
        resident.name, resident.gender, resident.birth_date = row.name, row.gender, row.birth_date
        resident.phone, resident.phone_hash = row.phone, phone_hash_of(row.phone)
        changed.append(resident)
    Resident.objects.bulk_update(
        changed,
        ["household", "cell", "name", "gender", "birth_date", "phone", "phone_hash"],
        batch_size=500,
    )
    through = Resident.tags.through
    through.objects.filter(resident_id__in=[r.pk for r in changed]).delete()
    pairs = [(res, row) for res, row in zip(residents, new, strict=True)] + updates
    through.objects.bulk_create(
        [through(resident_id=res.pk, tag_id=tag) for res, row in pairs for tag in row.tag_ids],
        batch_size=1000,
    )


# --- template and export ---------------------------------------------------------------------


def _workbook(rows: Iterable[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    notes = book.create_sheet("说明")
    notes.append(["列", "内容 / what it holds"])
    for header, help_text in COLUMNS:
        notes.append([header, str(help_text)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template() -> bytes:
    """The empty roster: headers on the first sheet, what each column holds on the second."""
    return _workbook([])


def export_roster(*, by, community_id: int) -> bytes:
    """The living residents of the community's cells that ``by`` serves, in the import
    layout (ID numbers and phones whole), logged per resident and as an export. Raises
    ``ValidationError`` when ``by`` serves no cell of that community."""
    cells = cells_open_to(by).filter(community_id=community_id)
    if not cells.exists():
        raise ValidationError({"community": _("Choose a community you serve.")})
    residents = list(
        residents_served_by(by)
        .filter(cell__in=cells)
        .living()
        .select_related("household", "cell")
        .prefetch_related("tags")
        .order_by("cell__full_code", "household__address", "pk")
    )
    PIIAccessLog.objects.bulk_create(
        [
            PIIAccessLog(
                user=by, resident=r, fields="name,address,id_number,phone", reason="roster export"
            )
            for r in residents
        ],
        batch_size=1000,
    )
    record_list_view(
        by=by,
        where="roster export",
        rows=len(residents),
        filters={"community": str(community_id)},
        kind=PIIListLog.Kind.EXPORT,
    )
    return _workbook(
        [
            r.cell.full_code,
            r.household.address,
            r.name,
            GENDER_NAMES.get(r.gender, ""),
            r.id_number,
            r.phone,
            "、".join(t.name for t in r.tags.all() if t.min_age is None),
        ]
        for r in residents
    )


def today_stamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")
