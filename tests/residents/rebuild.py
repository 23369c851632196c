"""An attacker's attempt to rebuild whole ID numbers from what a page shows (the masking test).

A masked ID number (``110105********002*``) keeps the region and the sequence digits; what is
hidden is the birth date (and, since the mask may show it, the check digit constrains the
date). Everything else on the page is a clue: a full date may be the birth date, a bare year
or a span of years the birth year, a small number the age. For each clue the attacker lists
every ID number the mask and the clue allow (the GB 11643 check digit filtering them when the
mask shows it). A clue "works" when its list holds the real number and is short enough to try
one by one: fewer than ``MIN_CANDIDATES``.

Lists are read row by row (a ``<tr>`` of an admin list, a line of a CSV), as the security
review did; a page that is not a table is one row.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.cn import ric

# A year of birth dates; fewer is a list someone would try through a logged, rate-limited
# whole-number search in a few days.
MIN_CANDIDATES = 365
OLDEST = 1900

MASK_RE = re.compile(r"(?<![\dX*])(\d{6})\*{8}(\d{3})([\dX*])(?![\dX*])")
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_Y, _M, _D = r"(\d{4})", r"(\d{1,2})", r"(\d{1,2})"
_MON = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# (pattern, what its groups are: y year, m month, M month name, d day)
FULL_DATE_FORMATS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(?<!\d){_Y}[-/.]{_M}[-/.]{_D}(?!\d)"), "ymd"),
    (re.compile(rf"(?<!\d){_Y}年{_M}月{_D}日"), "ymd"),
    (re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)"), "ymd"),
    (re.compile(rf"(?<!\d){_M}/{_D}/{_Y}(?!\d)"), "mdy"),
    (re.compile(rf"(?<!\d){_D}[./]{_M}[./]{_Y}(?!\d)"), "dmy"),
    (re.compile(rf"\b{_MON}\s+(\d{{1,2}}),?\s+(\d{{4}})", re.I), "Mdy"),
    (re.compile(rf"\b(\d{{1,2}})\s+{_MON},?\s+(\d{{4}})", re.I), "dMy"),
]
YEAR_SPAN_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:–|—|-|~|至|to)\s*((?:19|20)\d{2})(?!\d)")
YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
SMALL_NUMBER_RE = re.compile(r"(?<![\d.])(\d{1,3})(?![\d.])")


@dataclass(frozen=True)
class Mask:
    region: str
    sequence: str
    check: str  # "*" when hidden

    def allows(self, id_number: str) -> bool:
        return (
            id_number[:6] == self.region
            and id_number[14:17] == self.sequence
            and self.check in ("*", id_number[17])
        )


def page_text(markup: str) -> str:
    """The text a reader sees, plus attribute values (an input's ``value`` is shown too)."""
    values = " ".join(re.findall(r"""value=["']([^"']*)["']""", markup))
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    return html.unescape(f"{text} {values}")


def rows_of(markup: str) -> list[str]:
    """Table rows (or CSV lines) as separate texts; the whole page when it has no rows."""
    if "<tr" in markup:
        # What comes before the first row (a page's header, a change form) is a row too.
        return [page_text(row) for row in re.split(r"<tr\b", markup)]
    if "<html" not in markup.lower():
        return markup.splitlines()
    return [page_text(markup)]


def _full_dates(text: str) -> tuple[set[date], str]:
    found: set[date] = set()
    for pattern, order in FULL_DATE_FORMATS:
        for match in pattern.finditer(text):
            parts = dict(zip(order, match.groups(), strict=True))
            month = parts.get("m") or MONTHS[parts["M"][:3].lower()]
            try:
                found.add(date(int(parts["y"]), int(month), int(parts["d"])))
            except ValueError:
                continue
        text = pattern.sub(" ", text)
    return found, text


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def clue_pools(text: str, *, today: date) -> list[list[date]]:
    """Every birth-date range the text suggests, each a list of dates to try."""
    dates, rest = _full_dates(text)
    pools = [sorted(d for d in dates if date(OLDEST, 1, 1) <= d <= today)]
    for first, last in YEAR_SPAN_RE.findall(rest):
        pools.append(list(_days(date(int(first), 1, 1), min(date(int(last), 12, 31), today))))
    rest = YEAR_SPAN_RE.sub(" ", rest)
    for year in {int(y) for y in YEAR_RE.findall(rest)}:
        if OLDEST <= year <= today.year:
            pools.append(list(_days(date(year, 1, 1), min(date(year, 12, 31), today))))
    for age in {int(n) for n in SMALL_NUMBER_RE.findall(YEAR_RE.sub(" ", rest))}:
        if age <= 120:
            # Aged ``age`` today: born after this day ``age + 1`` years ago, up to ``age`` ago.
            youngest = _years_back(today, age)
            oldest = _years_back(today, age + 1) + timedelta(days=1)
            pools.append(list(_days(oldest, youngest)))
    return [pool for pool in pools if pool]


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def candidates(mask: Mask, pool: Iterable[date]) -> set[str]:
    """Whole ID numbers the mask allows for a birth date in ``pool``."""
    found = set()
    for born in pool:
        body = f"{mask.region}{born:%Y%m%d}{mask.sequence}"
        number = body + ric.calc_check_digit(body + "0")
        if mask.allows(number):
            found.add(number)
    return found


def rebuilt(markup: str, id_number: str, *, today: date) -> str | None:
    """How the page gives ``id_number`` away, or None if it does not.

    The number is given away when it is shown whole, or when a row showing its mask holds a
    clue whose candidate list contains it and is shorter than ``MIN_CANDIDATES``.
    """
    if id_number in page_text(markup) or id_number in markup:
        return "shown whole"
    for row in rows_of(markup):
        for match in MASK_RE.finditer(row):
            mask = Mask(match[1], match[2], match[3])
            if not mask.allows(id_number):
                continue
            for pool in clue_pools(row, today=today):
                found = candidates(mask, pool)
                if id_number in found and len(found) < MIN_CANDIDATES:
                    return (
                        f"mask {match[0]} and a clue in {pool[0]}…{pool[-1]} leave "
                        f"{len(found)} candidates"
                    )
    return None


def shows_mask_of(markup: str, id_number: str) -> bool:
    return any(Mask(m[1], m[2], m[3]).allows(id_number) for m in MASK_RE.finditer(markup))
