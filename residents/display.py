"""What a list, page or export shows of a resident, given whether the viewer serves them.

Rows come from ``selectors.residents_visible_to`` / ``households_visible_to``, which mark each
with ``served``; a row without that mark is shown as to an outsider. Whatever the viewer:
the ID number and phone masked, the birth year never the date (``masking``). The admin list,
its change pages and the CSV export all show residents through these functions.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .masking import mask_address, mask_name, shown_birth_year
from .models import Household, Resident


def is_served(row: Resident | Household) -> bool:
    return bool(getattr(row, "served", False))


def name(resident: Resident) -> str:
    return resident.name if is_served(resident) else mask_name(resident.name)


def address(household: Household, *, served: bool) -> str:
    return household.address if served else mask_address(household.address)


def resident_address(resident: Resident) -> str:
    return address(resident.household, served=is_served(resident))


def birth_year(resident: Resident) -> str:
    return shown_birth_year(resident.birth_date, today=timezone.localdate())


def tags(resident: Resident) -> str:
    """Tag names; to a viewer who does not serve the resident, sensitive tags only as a count.

    Reads ``resident.tags.all()``: prefetch ``tags`` for a list.
    """
    all_tags = list(resident.tags.all())
    if is_served(resident):
        return ", ".join(tag.name for tag in all_tags)
    shown = [tag.name for tag in all_tags if not tag.sensitive]
    if hidden := len(all_tags) - len(shown):
        shown.append(_sensitive_tags(hidden))
    return ", ".join(shown)


def tag_name(name: str, *, sensitive: bool, served: bool) -> str:
    """One tag as ``tags`` shows it: a sensitive one, to a viewer who does not serve the
    resident, as "1 sensitive tag" (a care plan's tag, a ledger row's)."""
    return name if served or not sensitive else _sensitive_tags(1)


def _sensitive_tags(count: int) -> str:
    return ngettext("%(count)d sensitive tag", "%(count)d sensitive tags", count) % {"count": count}


# The columns of a resident export, in order: (header, value).
EXPORT_COLUMNS: list[tuple[Promise, Callable[[Resident], str]]] = [
    (_("name"), name),
    (_("gender"), lambda r: str(r.get_gender_display())),
    (_("birth year"), birth_year),
    (_("ID number (身份证号)"), lambda r: r.id_number_masked),
    (_("phone"), lambda r: r.phone_masked),
    (_("address"), resident_address),
    (_("grid cell"), lambda r: r.cell.full_code),
    (_("tags"), tags),
    (_("moved out on"), lambda r: r.moved_out_at.isoformat() if r.moved_out_at else ""),
]
