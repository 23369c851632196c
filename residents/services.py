"""Writes for households and residents, and the one way to see personal data whole."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from grids.models import GridCell

from .crypto import InvalidToken, rotate
from .models import Household, PIIAccessLog, Resident, Tag, Visit
from .selectors import households_visible_to, residents_visible_to
from .validators import birth_date_from_id_number

PII_FIELDS = ("id_number", "phone")


@transaction.atomic
def create_household(*, cell: GridCell, address: str) -> Household:
    """Register a household at ``address`` in ``cell``; raises ``ValidationError``."""
    household = Household(cell=cell, address=address.strip())
    household.full_clean()
    household.save()
    return household


def record_visit(*, household_id: int, by, note: str = "") -> Visit:
    """Log that ``by`` visited the household now (走访). The household must be in ``by``'s
    scope (else ``Household.DoesNotExist``, a 404 to the caller); ``note`` is optional."""
    household = households_visible_to(by).get(pk=household_id)
    visit = Visit(household=household, worker=by, note=note.strip())
    visit.full_clean(exclude=["household", "worker"])
    visit.save()
    return visit


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
    resident.full_clean()
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        # Only the ID number hash is unique: someone registered the same person meanwhile.
        raise ValidationError(
            {"id_number": _("A resident with this ID number is already registered.")}
        ) from exc
    if tags:
        resident.tags.set(_resolve_tags(tags))
    return resident


@transaction.atomic
def reveal_resident_pii(*, resident_id: int, by, reason: str) -> dict[str, str]:
    """Return the whole ID number and phone of a resident and log the view.

    Allowed to whoever may see the resident (``residents_visible_to``; volunteers never
    can). Raises ``ValidationError`` without a reason, ``PermissionDenied`` when the resident
    is out of the user's scope or does not exist (the same answer, so ids cannot be probed).
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
    return {"name": resident.name, "id_number": resident.id_number, "phone": resident.phone}


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
