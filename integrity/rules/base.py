"""What every rule returns: unsaved findings (``FlagDraft``) over a scan window."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone


@dataclass(frozen=True)
class Window:
    """The time a scan looks at, ``[since, until)``, optionally narrowed to some cases."""

    since: datetime
    until: datetime
    case_ids: frozenset[int] | None = None

    @classmethod
    def of(
        cls,
        *,
        since: datetime,
        until: datetime | None = None,
        case_ids: Iterable[int] | None = None,
    ) -> Window:
        return cls(
            since=since,
            until=until or timezone.now(),
            case_ids=None if case_ids is None else frozenset(case_ids),
        )

    def narrow(self, queryset, field_name: str = "pk"):
        if self.case_ids is None:
            return queryset
        return queryset.filter(**{f"{field_name}__in": sorted(self.case_ids)})


# The field naming the other cases (or visits) a finding about a case (or visit) names.
RELATED = {"case_id": "related_case_ids", "visit_id": "related_visit_ids"}


@dataclass
class FlagDraft:
    """A finding not yet stored: ``integrity.services.record_flags`` saves it once.

    ``overlaps``: the finding is about a stretch of the worker's activity (a burst, a run
    of visits), keyed on whichever case or visit came first in the scanned window; a later
    scan may find the same stretch from another first one, so it counts as stored already
    wherever a flag of its rule about the same worker names any of its cases or visits."""

    rule: str
    case_id: int | None
    evidence: dict
    related_case_ids: Sequence[int] = field(default_factory=list)
    subject_id: int | None = None
    visit_id: int | None = None  # the visit rules' findings: about a visit, not a case
    related_visit_ids: Sequence[int] = field(default_factory=list)
    overlaps: bool = False

    @property
    def about(self) -> tuple[str, int]:
        """What the finding is about: ``("case_id", id)`` or ``("visit_id", id)``."""
        return ("visit_id", self.visit_id) if self.visit_id else ("case_id", self.case_id)

    @property
    def covers(self) -> set[int]:
        """Every case (or visit) the finding names: the one it is about and the related."""
        kind, key = self.about
        return {key, *getattr(self, RELATED[kind])}


def chunks(items: Sequence, size: int = 5000) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def iso(value: datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")
