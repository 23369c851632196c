"""GeoReport v2 documents as JSON or XML with the same content.

XML is built with lxml (never by concatenating strings): a list becomes repeated elements
named in the singular (``<services><service>…``, ``<attributes><attribute>…``), ``true`` and
``false`` are lower case, an absent value is an empty element. Values come plain (datetimes
already ISO 8601 strings with their offset, ``present.iso``).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from lxml import etree

FORMATS = ("json", "xml")
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
# The element of each item of a list, by the list's name (the spec's singular forms).
ITEM_OF = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: etree._Element, tag: str, value: Any) -> None:
    element = etree.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: etree._Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _append(element, ITEM_OF[tag], item)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> bytes:
    """``data`` (a list of items or a dict) as the XML document ``<root>…</root>``."""
    element = etree.Element(root)
    _fill(element, root, data)
    return etree.tostring(element, xml_declaration=True, encoding="utf-8")


def respond(fmt: str, root: str, data: Any, *, status: int = 200) -> HttpResponse:
    """The document in the format the URL asked for (``json`` or ``xml``); ``root`` names
    the XML root element (JSON has none)."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, data), content_type=XML_CONTENT_TYPE, status=status)
    body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body, content_type="application/json; charset=utf-8", status=status)


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """A GeoReport error list: ``[{"code": 400, "description": "…"}, …]`` with that status."""
    items = [{"code": status, "description": str(text)} for text in descriptions]
    return respond(fmt, "errors", items, status=status)
