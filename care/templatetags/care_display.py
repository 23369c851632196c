"""``{{ plan.tag|tag_for:served }}``: a care plan's tag as ``residents.display`` shows tags
(a sensitive one only to those who serve the resident)."""

from __future__ import annotations

from django import template

from residents.display import tag_name

register = template.Library()


@register.filter
def tag_for(tag, served) -> str:
    return tag_name(tag.name, sensitive=tag.sensitive, served=bool(served))
