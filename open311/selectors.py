"""Reads of Open311: services (public categories), requests (public cases, under the public
rules of ``public.selectors``), clients by key, and a place named in an address."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Length

from cases.models import Attachment, Category
from grids.models import District, GridCell
from public.selectors import public_cases

from .models import Open311Client, ServiceAttribute, hash_key

MAX_REQUESTS = 1000  # per GET requests (the spec's default page)
# What ``present.service_request`` reads: values, not models (1,000 rows a page).
REQUEST_VALUES = (
    "number",
    "status",
    "lon",
    "lat",
    "due_at",
    "duplicate_of_id",
    "created_at",
    "step_started_at",
    "accepted_at",
    "dispatched_at",
    "started_at",
    "reported_at",
    "closed_at",
    "category__name",
    "category__code",
    "department__name",
    "street__name",
    "cell__community__name",
    "public_photo_id",
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
    """Public cases (newest first) as the values a GeoReport request shows, in one query:
    category, department, street and community names (the coarse address), and the id of
    the first photo street staff published (``public_photo_id``, else None)."""
    first_public_photo = (
        Attachment.objects.filter(case=OuterRef("pk"), public=True)
        .order_by("created_at", "id")
        .values("pk")[:1]
    )
    rows = public_cases().select_related(None)
    if district is not None:
        rows = rows.filter(street__district=district)
    return rows.annotate(public_photo_id=Subquery(first_public_photo)).values(*REQUEST_VALUES)


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
