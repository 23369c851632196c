"""Answers to a service's attributes (``attribute[code]=…`` in a POST; several values of a
``multivaluelist`` as ``attribute[code][]=…``), checked against the service definition and
written as lines a person reads ("井盖状况: 丢失")."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from .forms import parse_when
from .models import Datatype, ServiceAttribute

MAX_ANSWER = 500


def _given(data: QueryDict) -> dict[str, list[str]]:
    given: dict[str, list[str]] = {}
    for name in data:
        if name.startswith("attribute[") and name.endswith("]"):
            code = name.removeprefix("attribute[").removesuffix("[]").removesuffix("]")
            values = [v.strip() for v in data.getlist(name) if v.strip()]
            given.setdefault(code, []).extend(values)
    return given


def _answer(attribute: ServiceAttribute, values: list[str]) -> str:
    names = attribute.value_names()
    if attribute.datatype == Datatype.MULTI:
        if set(values) - set(names):
            raise ValueError(_("choose from %(keys)s.") % {"keys": ", ".join(names)})
        return "、".join(names[v] for v in values)
    if len(values) > 1:
        raise ValueError(_("give one value."))
    (value,) = values
    if attribute.datatype == Datatype.SINGLE:
        if value not in names:
            raise ValueError(_("choose from %(keys)s.") % {"keys": ", ".join(names)})
        return names[value]
    try:
        if attribute.datatype == Datatype.NUMBER:
            float(value)
        elif attribute.datatype == Datatype.DATETIME:
            parse_when(value)
    except ValueError:
        raise ValueError(
            _("give a %(type)s.") % {"type": attribute.get_datatype_display()}
        ) from None
    if len(value) > MAX_ANSWER:
        raise ValueError(_("at most %(n)d characters.") % {"n": MAX_ANSWER})
    return value


def answered_lines(attributes: Iterable[ServiceAttribute], data: QueryDict) -> list[str]:
    """One line per answered attribute, in the definition's order. ``ValidationError``
    keyed ``attribute[code]`` for a missing required answer, a value of the wrong type or
    not among the choices, or an attribute the service does not have."""
    given = _given(data)
    errors: dict[str, str] = {}
    lines = []
    known = {a.code for a in attributes}
    for attribute in attributes:
        values = given.get(attribute.code, [])
        if not attribute.variable:
            continue
        if not values:
            if attribute.required:
                errors[f"attribute[{attribute.code}]"] = _("This field is required.")
            continue
        try:
            lines.append(f"{attribute.description}: {_answer(attribute, values)}")
        except ValueError as exc:
            errors[f"attribute[{attribute.code}]"] = str(exc)
    for code in set(given) - known:
        errors[f"attribute[{code}]"] = _("This service has no such attribute.")
    if errors:
        raise ValidationError(errors)
    return lines
