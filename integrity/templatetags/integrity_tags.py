"""Filters of the review page."""

from __future__ import annotations

from django import template

from ..models import DismissReason

register = template.Library()
SMALLEST_SHOWN = 0.001


@register.filter
def pvalue(value) -> str:
    """A probability as a reviewer reads it: "< 0.001" below that, else three decimals
    (anything that is not a number is shown as it is)."""
    try:
        p = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    return f"< {SMALLEST_SHOWN}" if p < SMALLEST_SHOWN else f"{p:.3f}"


@register.simple_tag
def dismiss_reasons() -> list[tuple[str, str]]:
    """The reasons a reviewer may give for a dismissal (value, label), for the review forms."""
    return DismissReason.choices


@register.filter
def percent(value) -> str:
    """A share (0.034) as a person reads it: "3.4 %"; "<0.1 %" for a trace; "—" if absent."""
    if value is None:
        return "—"
    share = float(value) * 100
    if 0 < share < 0.1:
        return "<0.1 %"
    return f"{share:.1f} %".replace(".0 %", " %")


@register.filter
def one_in(value) -> str:
    """An expected chance count (0.00012) as odds a person reads: "8,300" (as in "1 in
    8,300"), two significant figures; "1" for a chance of one or more; "" if absent."""
    try:
        chance = float(value)
    except (TypeError, ValueError):
        return ""
    if chance >= 1:
        return "1"
    odds = 1 / max(chance, 1e-12)
    digits = max(len(str(int(odds))) - 2, 0)
    return f"{round(odds, -digits):,.0f}"
