"""Cases and categories as GeoReport v2 objects, under the public rules
(``public.selectors``): rounded points, a coarse address (street and community), the stage
in plain words, the department; no person, no contact, no note and no text anyone typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from django.utils import timezone

from cases.models import OPEN_STATUSES, Category
from public.selectors import public_point, stage_for

from .models import LIST_TYPES, ServiceAttribute
from .selectors import Names

SERVICE_TYPE = "realtime"  # each request gets its id at once


def iso(value: datetime | None, tz: tzinfo | None = None) -> str | None:
    """W3C/ISO 8601 to the second with the district's offset (``2026-11-30T09:15:00+08:00``,
    as the spec's examples); ``tz`` saves looking the time zone up for each of many values."""
    if value is None:
        return None
    return value.astimezone(tz or timezone.get_current_timezone()).isoformat("T", "seconds")


def service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.acceptance_condition,
        "metadata": category.has_attributes,
        "type": SERVICE_TYPE,
        "keywords": "",
        "group": category.parent.name if category.parent_id else "",
    }


def _attribute(attribute: ServiceAttribute) -> dict:
    item = {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description,
        "order": attribute.order,
        "description": attribute.description,
    }
    if attribute.datatype in LIST_TYPES:
        item["values"] = [{"key": v["key"], "name": v["name"]} for v in attribute.values]
    return item


def service_definition(category: Category) -> dict:
    """``selectors.service`` loaded ``attribute_list``."""
    return {
        "service_code": category.code,
        "attributes": [_attribute(a) for a in category.attribute_list],
    }


def service_requests(rows, *, names: Names, photo_url: Callable[[int], str]) -> list[dict]:
    """Public cases, as the values ``selectors.request_rows`` reads, as GeoReport requests;
    ``names`` maps their ids to names, ``photo_url`` makes the absolute link of a published
    photo from its id. The time zone and the stages' words are looked up once for all rows
    (1,000 a page)."""
    tz = timezone.get_current_timezone()
    stages: dict[tuple[str, bool], str] = {}

    def stage(status: str, merged: bool) -> str:
        if (status, merged) not in stages:
            stages[status, merged] = stage_for(status, merged=merged)
        return stages[status, merged]

    items = []
    for row in rows:
        lon, lat = public_point(row["lon"], row["lat"])
        open_now = row["status"] in OPEN_STATUSES
        code, name = names.categories[row["category_id"]]
        photo = row["public_photo_id"]
        items.append(
            {
                "service_request_id": row["number"],
                "status": "open" if open_now else "closed",
                "status_notes": stage(row["status"], row["duplicate_of_id"] is not None),
                "service_name": name,
                "service_code": code,
                # The public rules show no text anyone typed: a description may name people.
                "description": "",
                "agency_responsible": names.departments.get(row["department_id"], ""),
                "service_notice": "",
                "requested_datetime": iso(row["created_at"], tz),
                "updated_datetime": iso(row["updated_at"], tz),
                "expected_datetime": iso(row["due_at"], tz) if open_now else None,
                "address": names.address(row["cell_id"]),
                "address_id": "",
                "zipcode": "",
                "lat": lat,
                "long": lon,
                "media_url": photo_url(photo) if photo else "",
            }
        )
    return items
