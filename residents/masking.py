"""Masked forms of personal data for lists and forms (DESIGN §3): enough to tell people
apart and to confirm a number read out on the phone, not enough to reuse it, and not enough
to rebuild it from what else a page shows (tests/residents/test_masking.py tries).
"""

from __future__ import annotations

import re
from datetime import date

_MIN_HIDDEN = 4
_HIDDEN_TAIL = "****"
_ADDRESS_KEPT = 8  # characters of the road or compound name at most
_FIRST_DIGIT = re.compile(r"\d")


def _mask(value: str, head: int, tail: int) -> str:
    # Hide at least four characters whatever the length, so a short or malformed number
    # never comes out (nearly) whole.
    while len(value) - head - tail < min(_MIN_HIDDEN, len(value)):
        # Give up the head first: the last digits are what people read out to confirm.
        if head:
            head -= 1
        else:
            tail -= 1
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(value: str | None) -> str:
    """``11010519491231002X`` → ``110105********002*``: the region and the sequence digits.

    The check digit is hidden too, because it is a function of the other 17: beside a birth
    year (shown in lists), a visible check digit narrows the 365 possible birth dates to
    about 33, few enough to confirm one by one through a whole-number search.
    """
    if not value:
        return ""
    return _mask(value[:-1], 6, 3) + "*" if len(value) == 18 else _mask(value, 6, 4)


def mask_phone(value: str | None) -> str:
    """``13912345678`` → ``139****5678``; ``1065529988`` → ``10****9988``; at least four
    digits are always hidden."""
    if not value:
        return ""
    return _mask(value, 3, 4)


def mask_email(value: str | None) -> str:
    """``wang.li@example.org`` → ``w*****i@example.org``: the mailbox hidden, the domain kept
    (it says only which provider)."""
    if not value:
        return ""
    local, _at, domain = value.partition("@")
    return _mask(local, 1, 1 if len(local) > 5 else 0) + ("@" + domain if domain else "")


def mask_name(value: str | None) -> str:
    """``张小明`` → ``张*明``, ``王芳`` → ``王*``, ``欧阳娜娜`` → ``欧**娜``: the surname's
    first character and, past two characters, the last one."""
    if not value:
        return ""
    if len(value) <= 2:
        return value[:-1] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_address(value: str | None) -> str:
    """``光华路12号院3号楼2单元1203`` → ``光华路****``: the road or compound up to the first
    number (at most eight characters), never the door."""
    if not value:
        return ""
    match = _FIRST_DIGIT.search(value)
    kept = value[: match.start()] if match else value[: len(value) // 2]
    return kept[:_ADDRESS_KEPT] + _HIDDEN_TAIL


def shown_birth_year(born: date | None, *, today: date) -> str:
    """The birth year lists show instead of the birth date (``1949``).

    Never the age: an age seen on the day it changes gives the birthday away. For someone
    born this year the year alone would leave only the days since 1 January (on 5 January,
    five), so it is widened to last year too (``2025–2026``), at least 365 days.
    """
    if born is None:
        return ""
    if born.year >= today.year:
        return f"{today.year - 1}–{today.year}"
    return str(born.year)
