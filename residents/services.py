"""Writes for households and residents, the one way to see personal data whole, and the
logged (and limited) ways to list and search it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage
from django_ratelimit.exceptions import Ratelimited

from grids.models import GridCell

from .crypto import InvalidToken, pii_hash, rotate
from .models import (
    Household,
    LeftReason,
    PIIAccessLog,
    PIIListLog,
    Resident,
    Tag,
    id_number_hash_of,
    phone_hash_of,
)
from .retention import MOVED_OUT_RESIDENTS
from .selectors import (
    cells_open_to,
    households_served_by,
    residents_served_by,
    residents_visible_to,
)
from .validators import birth_date_from_id_number, looks_like_id_number

PII_FIELDS = ("name", "address", "id_number", "phone")


class NumberSearchLimited(Ratelimited):
    """Over ``RESIDENT_NUMBER_SEARCHES_PER_HOUR``: a ``PermissionDenied`` whose message says
    when to try again (``retry_after``, seconds); answered 429 (``views.rate_limited``)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


NUMBER_SEARCH_GROUP = "residents.number_search"


@transaction.atomic
def create_household(*, cell: GridCell, address: str) -> Household:
    """Register a household at ``address`` in ``cell``; raises ``ValidationError``."""
    household = Household(cell=cell, address=address.strip())
    household.full_clean()
    household.save()
    return household


def _resolve_tags(tags: Iterable[Tag | str]) -> list[Tag]:
    wanted = list(tags)
    codes = {tag for tag in wanted if isinstance(tag, str)}
    found = {tag.code: tag for tag in Tag.objects.filter(code__in=codes)}
    if missing := sorted(codes - found.keys()):
        raise ValidationError(
            {"tags": _("Unknown tag code(s): %(codes)s.") % {"codes": ", ".join(missing)}}
        )
    return [found[tag] if isinstance(tag, str) else tag for tag in wanted]


@transaction.atomic
def create_resident(
    *,
    household: Household,
    name: str,
    gender: str,
    id_number: str,
    phone: str = "",
    birth_date: date | None = None,
    tags: Iterable[Tag | str] = (),
) -> Resident:
    """Register a resident of ``household``.

    ``birth_date`` defaults to the one encoded in the ID number; ``tags`` are Tag objects or
    codes. The ID number and phone are validated and normalised. Raises ``ValidationError``
    (keyed by field) for a bad ID number or phone, an ID number already registered, or an
    unknown tag code.
    """
    if birth_date is None:
        try:
            birth_date = birth_date_from_id_number(id_number)
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from exc
    resident = Resident(
        household=household,
        cell=household.cell,
        name=name.strip(),
        gender=gender,
        birth_date=birth_date,
        id_number=id_number,
        phone=phone,
    )
    _save_resident(resident)
    if tags:
        resident.tags.set(_resolve_tags(tags))
    return resident


def _save_resident(resident: Resident) -> None:
    """Validate and save ``resident`` (new or changed): the one place that turns a
    registration of the same ID number that landed between the check and the write into the
    field error the check would have given. Call inside a transaction."""
    resident.full_clean()
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        # Only the ID number hash is unique: someone registered the same person meanwhile.
        raise ValidationError(
            {"id_number": _("A resident with this ID number is already registered.")}
        ) from exc


# --- kept by the people who serve them (issue 15) -------------------------------------------
# Grid and functional workers (and street staff) keep the households and residents of the
# cells they serve; anything else answers ``Household.DoesNotExist`` / ``Resident.DoesNotExist``
# (a 404 on the pages), so ids out of scope cannot be probed.


def register_household(*, by, cell_id: int, address: str) -> Household:
    """A household at ``address`` in a cell ``by`` serves; ``ValidationError`` otherwise."""
    cell = cells_open_to(by).filter(pk=cell_id).first()
    if cell is None:
        raise ValidationError({"cell": _("Choose a grid cell you serve.")})
    return create_household(cell=cell, address=address)


@transaction.atomic
def update_household(*, by, household_id: int, address: str) -> Household:
    household = households_served_by(by).select_for_update(of=("self",)).get(pk=household_id)
    household.address = address.strip()
    household.full_clean()
    household.save(update_fields=["address"])
    return household


@transaction.atomic
def move_household(*, by, household_id: int, cell_id: int) -> Household:
    """Move a household (and its residents) to another cell.

    Allowed to whoever serves *both* cells: street staff within their street, and a worker
    assigned to both cells or to their whole community. A move between streets is two
    offices' business: the household moves out of one and is registered in the other. Raises
    ``Household.DoesNotExist`` out of scope, ``ValidationError`` for a cell ``by`` does not
    serve.
    """
    household = households_served_by(by).select_for_update(of=("self",)).get(pk=household_id)
    cell = cells_open_to(by).filter(pk=cell_id).first()
    if cell is None:
        raise ValidationError(
            {"cell": _("Choose a grid cell you serve: moving needs someone who serves both.")}
        )
    if cell.pk != household.cell_id:
        household.cell = cell
        household.save(update_fields=["cell"])  # takes its residents along (Household.save)
    return household


@transaction.atomic
def keep_resident(*, by, resident: Resident, tags: Iterable[Tag]) -> Resident:
    """Save a resident registered or changed on a worker's page (validated by
    ``forms.ResidentForm``) in a household ``by`` serves, with its ticked tags (derived
    ones are never stored). Raises ``Household.DoesNotExist`` / ``Resident.DoesNotExist``, and
    ``ValidationError`` by field (an ID number registered meanwhile included)."""
    household = households_served_by(by).get(pk=resident.household_id)
    if resident.pk is not None:
        residents_served_by(by).select_for_update(of=("self",)).get(pk=resident.pk)
    resident.household = household
    _save_resident(resident)
    resident.tags.set([tag for tag in tags if tag.min_age is None])
    return resident


class ResidentAlreadyLeft(Exception):
    """The resident was already marked moved out or deceased (answered 409: the day and the
    reason on record are not overwritten by a second mark)."""


@transaction.atomic
def mark_resident_left(*, by, resident_id: int, reason: str, on: date) -> Resident:
    """迁出 / 去世: the resident is kept (not deleted) with the day and why they left; they
    drop out of visit schedules at once and are anonymised after the retention period
    (``retention``). Raises ``Resident.DoesNotExist`` out of scope, ``ResidentAlreadyLeft``
    for one marked before, ``ValidationError`` for an unknown reason, a day in the future, or
    a day so long ago that the next retention run would anonymise the resident at once."""
    if reason not in LeftReason.values:
        raise ValidationError({"reason": _("Say whether the resident moved out or died.")})
    resident = residents_served_by(by).select_for_update(of=("self",)).get(pk=resident_id)
    if resident.moved_out_at is not None:
        raise ResidentAlreadyLeft(
            _("This resident is already marked as %(reason)s on %(day)s.")
            % {"reason": resident.get_left_reason_display(), "day": resident.moved_out_at}
        )
    days = MOVED_OUT_RESIDENTS.days()
    if on <= timezone.localdate() - timedelta(days=days):
        raise ValidationError(
            {
                "on": _(
                    "Personal data is kept %(days)d days after a resident leaves: a resident "
                    "who left on %(day)s would be anonymised at once. Check the day."
                )
                % {"days": days, "day": on}
            }
        )
    resident.moved_out_at, resident.left_reason = on, reason
    resident.full_clean()
    resident.save(update_fields=["moved_out_at", "left_reason"])
    return resident


@transaction.atomic
def reveal_resident_pii(*, resident_id: int, by, reason: str) -> dict[str, str]:
    """Return a resident's whole name, address, ID number and phone, and log the view.

    Allowed to whoever may see the resident (``residents_visible_to``; volunteers never
    can), whether or not they serve them: for an overseer this is the only way to see the
    name and address whole. Raises ``ValidationError`` without a reason,
    ``PermissionDenied`` when the resident is out of the user's scope or does not exist (the
    same answer, so ids cannot be probed).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you need to see the whole number.")})
    resident = residents_visible_to(by).filter(pk=resident_id).first()
    if resident is None:
        raise PermissionDenied(_("You may not see this resident's personal data."))
    PIIAccessLog.objects.create(
        user=by, resident=resident, fields=",".join(PII_FIELDS), reason=reason[:200]
    )
    return {
        "name": resident.name,
        "address": resident.household.address,
        "id_number": resident.id_number,
        "phone": resident.phone,
    }


def classify_search(text: str) -> tuple[str, str]:
    """(kind, keyed hash) of a search as the logs keep it: ``PIIListLog.SearchKind`` and
    ``crypto.pii_hash`` of the normalised number or text; ``("", "")`` for no search."""
    text = (text or "").strip()
    if not text:
        return PIIListLog.SearchKind.NONE, ""
    if looks_like_id_number(text):
        return PIIListLog.SearchKind.ID_NUMBER, id_number_hash_of(text)
    try:
        return PIIListLog.SearchKind.PHONE, phone_hash_of(text)
    except ValidationError:
        return PIIListLog.SearchKind.TEXT, pii_hash(text)


def record_list_view(
    *,
    by,
    where: str,
    rows: int,
    filters: Mapping[str, str | list[str]] | None = None,
    search: str = "",
    kind: str = PIIListLog.Kind.LIST,
) -> PIIListLog:
    """Log that ``by`` was shown ``rows`` residents (or households) in the list or export
    ``where``, with ``filters`` (the query's parameters, not personal data) and ``search``
    (kept as its kind and keyed hash only)."""
    search_kind, search_hash = classify_search(search)
    return PIIListLog.objects.create(
        user=by,
        kind=kind,
        where=where[:100],
        filters=dict(filters or {}),
        search_kind=search_kind,
        search_hash=search_hash,
        rows=rows,
    )


def _number_search_refusal(*, limit: int, seconds_left: int) -> str:
    return _(
        "You may search by a whole ID number or phone number at most %(limit)d times an "
        "hour; try again in %(wait)d minutes. Searching by name or address is not limited."
    ) % {"limit": limit, "wait": max(1, math.ceil(seconds_left / 60))}


def search_residents_by_number(*, by, number: str, where: str) -> QuerySet[Resident]:
    """Residents in ``by``'s scope whose whole ID number or phone is ``number`` (as typed, in
    any usual spelling). The one way to search by a whole number: the admin, the lead's
    hotline page, anything to come.

    Such a search confirms one of the numbers a mask leaves (``139****5678``: 10⁴), so each
    is logged (``PIIListLog``, kind and keyed hash, how many found) and counted against
    ``settings.RESIDENT_NUMBER_SEARCHES_PER_HOUR`` per user (django-ratelimit, in the shared
    cache). Over the limit the attempt is logged as refused and ``NumberSearchLimited`` (a
    ``PermissionDenied``) is raised with a message saying when to try again; the
    middleware answers it with 429 (DRF views must map it to 429 themselves: DRF answers a
    ``PermissionDenied`` with 403 before the middleware sees it). Text that is no whole
    number finds nothing, unlogged.
    """
    search_kind, digest = classify_search(number)
    if search_kind not in (PIIListLog.SearchKind.ID_NUMBER, PIIListLog.SearchKind.PHONE):
        return Resident.objects.none()
    usage = get_usage(
        # No request: the limit is the user's, wherever the search comes from.
        None,
        group=NUMBER_SEARCH_GROUP,
        key=lambda group, request: str(by.pk),
        rate=(settings.RESIDENT_NUMBER_SEARCHES_PER_HOUR, 3600),
        increment=True,
    )
    log = PIIListLog(
        user=by,
        kind=PIIListLog.Kind.SEARCH,
        where=where[:100],
        search_kind=search_kind,
        search_hash=digest,
    )
    if usage is not None and usage["should_limit"]:
        log.refused = True
        log.save()
        raise NumberSearchLimited(
            _number_search_refusal(limit=usage["limit"], seconds_left=usage["time_left"]),
            retry_after=max(1, usage["time_left"]),
        )
    column = "id_number_hash" if search_kind == PIIListLog.SearchKind.ID_NUMBER else "phone_hash"
    found = residents_visible_to(by).filter(**{column: digest})
    log.rows = found.count()
    log.save()
    return found


def rotate_resident_pii(*, batch_size: int = 500) -> int:
    """Re-encrypt every resident's ID number and phone with the current (first) key.

    Works on the stored tokens (``MultiFernet.rotate``), so plaintext is never rebuilt and
    the hashes stay valid. Each batch is one transaction holding its rows locked, so a
    concurrent edit is neither lost nor overwritten. Safe to re-run after an interruption.
    Returns the number of residents rewritten; raises ``InvalidToken`` (with the resident id
    in the message) for a token that no configured key opens.
    """
    rewritten, last_pk = 0, 0
    while True:
        with transaction.atomic():
            rows = list(
                Resident.objects.filter(pk__gt=last_pk)
                .order_by("pk")
                .select_for_update()
                # Cast reads the raw token: the field itself would decrypt it.
                .annotate(
                    raw_id=Cast("id_number", TextField()), raw_phone=Cast("phone", TextField())
                )
                .values_list("pk", "raw_id", "raw_phone")[:batch_size]
            )
            if not rows:
                return rewritten
            updates = []
            for pk, raw_id, raw_phone in rows:
                try:
                    new_id = rotate(raw_id)
                    new_phone = rotate(raw_phone) if raw_phone else raw_phone
                except InvalidToken as exc:
                    raise InvalidToken(f"resident {pk}: no configured key opens its data") from exc
                # A plain-text Value, so the field does not encrypt the token a second time.
                updates.append(
                    Resident(
                        pk=pk,
                        id_number=Value(new_id, output_field=TextField()),
                        phone=Value(new_phone, output_field=TextField()),
                    )
                )
            Resident.objects.bulk_update(updates, ["id_number", "phone"])
        rewritten += len(rows)
        last_pk = rows[-1][0]
