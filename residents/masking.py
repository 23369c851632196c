"""Masked forms of personal data for lists and forms (DESIGN §3): enough to tell people
apart and to confirm a number read out on the phone, not enough to reuse it."""

from __future__ import annotations

_MIN_HIDDEN = 4


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
    """``11010519491231002X`` → ``110105********002X`` (region kept, birth date hidden)."""
    if not value:
        return ""
    return _mask(value, 6, 4)


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
