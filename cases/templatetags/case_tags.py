"""Template helpers of the case pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def duration_text(seconds: float) -> str:
    """“2 d 3 h”, “3 h 20 min”, “12 min” in the user's language (the JS countdown mirrors it)."""
    minutes = int(abs(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


@register.simple_tag
def countdown(due_at: datetime | None, now: datetime | None = None) -> str:
    """The time left until ``due_at`` (or how long overdue), kept current by gridgov.js."""
    if due_at is None:
        return ""
    seconds = (due_at - (now or timezone.now())).total_seconds()
    late = seconds < 0
    text = (_("%(t)s overdue") if late else _("%(t)s left")) % {"t": duration_text(seconds)}
    return format_html(
        '<span class="countdown{}" data-due="{}" title="{}">{}</span>',
        " late" if late else "",
        due_at.isoformat(),
        timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"),
        text,
    )


@register.filter
def duration(value: timedelta | None) -> str:
    """A span of time as ``duration_text`` writes it (“3 d 2 h”)."""
    return duration_text(value.total_seconds()) if value else ""


@register.filter
def field_label(name: str) -> str:
    """A form field's name as the user reads it, for error lists."""
    labels = {
        "reason": _("Reason"),
        "note": _("Note"),
        "department": _("Department"),
        "handler": _("Handler"),
        "duplicate_of": _("Duplicate of"),
        "due_at": _("New deadline"),
        "review_at": _("Review date"),
        "photos": "",  # photo messages name the photo themselves ("Photo 2 (IMG_2.jpg): …")
        "category": _("Category"),
        "priority": _("Priority"),
        "cell": _("Grid cell"),
        "non_field_errors": "",
    }
    return labels.get(name, name)


@register.simple_tag
def photo_strip(attachment, by) -> list[str]:
    """The photo's evidence strip (cases.photos.strip), as lines."""
    from cases.photos.strip import strip_lines

    return strip_lines(attachment, by=by)
