"""Rate limits of the resident portal (django-ratelimit over the shared cache).

A person without an account can only be told apart by their address and by the contact they
give, so each form is limited per address and, where a contact is given, per contact: a flood
is refused at the door instead of reaching street staff as a thousand queue items. The rates
are settings (``PUBLIC_RATES``) so a district can tune them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

DEFAULT_RATES = {
    "report_ip": "20/h",  # mobile carriers put many phones behind one address
    "report_contact": "5/d",
    "support_ip": "60/h",
    "survey_ip": "20/h",
    "track_ip": "60/h",  # ratings and reopen requests by code
    # Open311 clients are servers posting for many residents: counted per client, not address.
    "open311_caller": "600/h",
    "open311_contact": "5/d",
}


def _rate(name: str) -> str:
    return {**DEFAULT_RATES, **getattr(settings, "PUBLIC_RATES", {})}[name]


def over_limit(request: HttpRequest, name: str, *, contact_key: str = "", caller: str = "") -> bool:
    """Count this request against ``name``'s limit (and ``<name>``'s per-contact limit when
    the form gave a contact); True if either is exceeded. The first limit is per address, or
    per ``caller`` when given (an API client's id: ``<name>_caller``)."""
    if caller:
        limited = is_ratelimited(
            request,
            group=f"public:{name}:caller",
            key=lambda _group, _request: caller,
            rate=_rate(f"{name}_caller"),
            increment=True,
        )
    else:
        limited = is_ratelimited(
            request, group=f"public:{name}:ip", key="ip", rate=_rate(f"{name}_ip"), increment=True
        )
    per_contact = f"{name}_contact"
    if contact_key and per_contact in DEFAULT_RATES:
        limited |= is_ratelimited(
            request,
            group=f"public:{per_contact}",
            key=lambda _group, _request: contact_key,
            rate=_rate(per_contact),
            increment=True,
        )
    return limited
