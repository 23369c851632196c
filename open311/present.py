"""Cases and categories as GeoReport v2 objects, under the public rules
(``public.selectors``): rounded points, a coarse address (street and community), the stage
in plain words, the department; no person, no contact, no note and no text anyone typed."""

from __future__ import annotations

from collections.abc import Callable

from cases.models import Case, Category
from public.selectors import is_open, public_point, stage_of

from .models import LIST_TYPES, ServiceAttribute

SERVICE_TYPE = "realtime"  # each request gets its id at once


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


def _updated(case: Case):
    stamps = (
        case.created_at,
        case.step_started_at,
        case.accepted_at,
        case.dispatched_at,
        case.started_at,
        case.reported_at,
        case.closed_at,
    )
    return max(stamp for stamp in stamps if stamp is not None)


def service_request(case: Case, *, photo_url: Callable[[int], str]) -> dict:
    """A public case as a GeoReport request (``request_rows`` has joined what it reads).
    ``photo_url`` makes the absolute link of a published photo from its id."""
    lon, lat = public_point(case.lon, case.lat)
    open_now = is_open(case)
    return {
        "service_request_id": case.number,
        "status": "open" if open_now else "closed",
        "status_notes": stage_of(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        # The public rules show no text anyone typed: a description may name people.
        "description": "",
        "agency_responsible": case.department.name if case.department_id else "",
        "service_notice": "",
        "requested_datetime": case.created_at,
        "updated_datetime": _updated(case),
        "expected_datetime": case.due_at if open_now else None,
        "address": f"{case.street.name}{case.cell.community.name}",
        "address_id": "",
        "zipcode": "",
        "lat": lat,
        "long": lon,
        "media_url": photo_url(case.public_photo_id) if case.public_photo_id else "",
    }
