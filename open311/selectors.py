"""Reads of Open311: services (public categories), requests (public cases, under the public
rules of ``public.selectors``), clients by key, and a place named in an address."""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Length

from cases.models import Attachment, Category
from grids.models import Department, District, GridCell
from grids.spatial import CellIndex, get_cell_index
from public.selectors import public_cases

from .models import Open311Client, ServiceAttribute, hash_key

MAX_REQUESTS = 1000  # per GET requests (the spec's default page)
# What ``present.service_requests`` reads: values, not models (1,000 rows a page), and ids
# of the small tables whose names ``Names`` maps (joins cost more than the rows here).
REQUEST_VALUES = (
    "number",
    "status",
    "lon",
    "lat",
    "due_at",
    "duplicate_of_id",
    "created_at",
    "updated_at",
    "category_id",
    "department_id",
    "cell_id",
    "public_photo_id",
)
# The columns whose latest is a request's ``updated_datetime`` (beside ``created_at``).
STEP_STAMPS = (
    "step_started_at",
    "accepted_at",
    "dispatched_at",
    "started_at",
    "reported_at",
    "closed_at",
)


def services() -> QuerySet[Category]:
    """What residents may report (``Category.public``) and a case can be filed under now,
    each with ``has_attributes`` (the spec's ``metadata``)."""
    attributes = ServiceAttribute.objects.filter(category=OuterRef("pk"))
    return (
        Category.objects.fileable()
        .filter(public=True)
        .select_related("parent")
        .annotate(has_attributes=Exists(attributes))
    )


def service(code: str) -> Category | None:
    """A service with its attributes (``attribute_list``, in order), or None."""
    attributes = Prefetch("open311_attributes", to_attr="attribute_list")
    return services().filter(code=code).prefetch_related(attributes).first()


def attributes_of(code: str) -> list[ServiceAttribute]:
    """The attributes of the service ``code`` (none for an unknown code)."""
    return list(ServiceAttribute.objects.filter(category__code=code))


def request_rows(*, district: District | None = None) -> QuerySet:
    """Public cases (newest first) as the values a GeoReport request shows, in one query
    over the case table: ``updated_at`` (the latest of its steps' times) and
    ``public_photo_id`` (the first photo street staff published, else None)."""
    first_public_photo = (
        Attachment.objects.filter(case=OuterRef("pk"), public=True)
        .order_by("created_at", "id")
        .values("pk")[:1]
    )
    # Coalesce: SQLite's MAX() of several values is NULL when one of them is.
    stamps = [Coalesce(name, "created_at") for name in STEP_STAMPS]
    rows = public_cases().select_related(None)
    if district is not None:
        rows = rows.filter(street__district=district)
    return rows.annotate(
        public_photo_id=Subquery(first_public_photo),
        updated_at=Greatest("created_at", *stamps),
    ).values(*REQUEST_VALUES)


@dataclass
class Names:
    """The names a page of requests shows, by id: two small queries (categories,
    departments) and the in-process cell index (each cell's street and community)."""

    categories: dict[int, tuple[str, str]]  # id: (code, name)
    departments: dict[int, str]
    index: CellIndex

    @classmethod
    def of(cls, rows: list[dict]) -> Names:
        category_ids = {row["category_id"] for row in rows}
        department_ids = {row["department_id"] for row in rows} - {None}
        categories = Category.objects.filter(pk__in=category_ids).values_list("pk", "code", "name")
        departments = Department.objects.filter(pk__in=department_ids).values_list("pk", "name")
        return cls(
            categories={pk: (code, name) for pk, code, name in categories},
            departments=dict(departments),
            index=get_cell_index(),
        )

    def address(self, cell_id: int) -> str:
        """The street and community of a cell ("朝外街道光华社区"), remembered per index."""
        places = _places.setdefault(self.index, {})
        if cell_id not in places:
            cell = self.index.cell(cell_id)
            places[cell_id] = f"{cell.community.street.name}{cell.community.name}" if cell else ""
        return places[cell_id]


# Addresses by cell id, per cell index (a new index, after cells changed, starts afresh).
_places: WeakKeyDictionary[CellIndex, dict[int, str]] = WeakKeyDictionary()


def active_client(key: str) -> Open311Client | None:
    """The active client holding ``key`` (its services prefetched), else None."""
    if not key:
        return None
    return (
        Open311Client.objects.filter(key_hash=hash_key(key), active=True)
        .prefetch_related("services")
        .first()
    )


def cell_named_in(address: str, *, district: District | None = None) -> GridCell | None:
    """The grid cell an address names (the longest cell name it contains), else the first
    cell of the community it names; None when it names neither. Residents write "XX社区第3网格"
    or "XX社区 12号楼"; the point is then the cell's, not the door's."""
    if not address.strip():
        return None
    cells = GridCell.objects.select_related("community").annotate(text=Value(address))
    if district is not None:
        cells = cells.filter(community__street__district=district)
    named = cells.filter(text__contains=F("name")).order_by(Length("name").desc()).first()
    if named is not None:
        return named
    return (
        cells.filter(text__contains=F("community__name"))
        .order_by(Length("community__name").desc(), "full_code")
        .first()
    )
