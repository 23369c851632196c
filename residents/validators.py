"""Checks and normal forms for resident ID numbers (身份证号) and CN phone numbers.

Each check says what is wrong, so a worker typing from a paper form can fix the right digit.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

_ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$", re.ASCII)
_SEPARATORS_RE = re.compile(r"[\s\-]+")

# Personal numbers only: hotlines (400/800), premium and VoIP numbers do not identify a person.
_PERSONAL_PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalize_id_number_text(value: str) -> str:
    """Fold input quirks without judging validity: full-width characters (from Chinese input
    methods), spaces and hyphens, a lower-case ``x``."""
    return _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", value or "")).upper()


def looks_like_id_number(value: str) -> bool:
    """True when ``value`` has the shape of an ID number (18 chars, 17 digits + digit/X)."""
    return bool(_ID_NUMBER_RE.match(normalize_id_number_text(value)))


def validate_id_number(value: str) -> str:
    """Check a resident ID number (GB 11643-1999) and return it normalised (upper-case X).

    Checks, in order: length (18), format (17 digits then a digit or X), birth date (a real
    date, not in the future), region code (a county-level code that has ever existed),
    checksum.

    The region check deliberately ignores *when* a code existed: a number carries the code
    of the place where it was first issued, so a person born in 1960 may well hold a code
    created in 1983 (e.g. 130102 长安区, 石家庄). python-stdnum's ``get_birth_place`` would
    refuse them, and with them many of the elderly residents this product serves.

    Raises ``ValidationError`` with a message naming the failed check (codes:
    ``length``, ``format``, ``birth_date``, ``birth_date_future``, ``region``, ``checksum``).
    """
    number = normalize_id_number_text(value)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(count)d."),
            code="length",
            params={"count": len(number)},
        )
    if not _ID_NUMBER_RE.match(number):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="format"
        )
    try:
        born = ric.get_birth_date(number)
    except StdnumError:
        raise ValidationError(
            _("Characters 7–14 (%(digits)s) are not a valid birth date (YYYYMMDD)."),
            code="birth_date",
            params={"digits": number[6:14]},
        ) from None
    if born > timezone.localdate():
        raise ValidationError(
            _("The birth date in this ID number (%(date)s) is in the future."),
            code="birth_date_future",
            params={"date": born.isoformat()},
        )
    if not region_code_ever_existed(number[:6]):
        raise ValidationError(
            _("The region code %(code)s (first 6 digits) is not a known county code."),
            code="region",
            params={"code": number[:6]},
        )
    if ric.calc_check_digit(number) != number[-1]:
        # Not naming the "right" check digit: the typo is as likely in any other digit.
        raise ValidationError(
            _(
                "The check digit (last character) does not match the other 17 digits "
                "(GB 11643 checksum); one of the characters is probably mistyped."
            ),
            code="checksum",
        )
    return number


@functools.lru_cache(maxsize=8192)  # a few thousand codes exist; a roster repeats a handful
def region_code_ever_existed(code: str) -> bool:
    """Is ``code`` a county-level code (6 digits) that existed at any time, by python-stdnum's
    table of administrative codes (its ``[from-to]`` years are not consulted)?"""
    results = numdb.get("cn/loc").info(code)
    return any("county" in props for _part, props in results)


def birth_date_from_id_number(value: str) -> date:
    """The birth date encoded in a valid ID number; raises ``ValidationError`` like
    ``validate_id_number`` when the number is not valid."""
    return ric.get_birth_date(validate_id_number(value))


def normalize_cn_phone(value: str) -> str:
    """Return a mainland China mobile or fixed-line number as its national significant digits.

    Accepts the usual ways of writing one: ``139 1234 5678``, ``+86 139-1234-5678``,
    ``0086…``, ``010-65529988`` (→ ``1065529988``: the trunk ``0`` is dropped). Raises
    ``ValidationError`` (codes ``invalid``, ``not_cn``, ``not_personal``) otherwise.
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid phone number in China: give an 11-digit mobile "
                "number (e.g. 139 1234 5678) or a landline with its area code "
                "(e.g. 010-6552 9988)."
            ),
            code="invalid",
            params={"value": text},
        )
    if number.country_code != 86:
        raise ValidationError(
            _("Only mainland China phone numbers (+86) are accepted."), code="not_cn"
        )
    if phonenumbers.number_type(number) not in _PERSONAL_PHONE_TYPES:
        raise ValidationError(
            _("Give a mobile or landline number, not a hotline or service number."),
            code="not_personal",
        )
    return phonenumbers.national_significant_number(number)


def validate_cn_phone(value: str) -> None:
    """Validator form of ``normalize_cn_phone`` (raises ``ValidationError``, returns nothing)."""
    normalize_cn_phone(value)
