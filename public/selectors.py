"""Reads for residents (DESIGN §1 "resident", §8): what anyone may see of public cases, and
what a resident sees of their own case by its tracking code.

The public rules, shared by the portal's map and Open311's anonymous reads: only categories
residents may report (``Category.public``), only the last ``PUBLIC_DAYS`` days, never a
rejected case, locations snapped to a grid of about ``ROUND_M`` metres, no person (no
reporter, handler, verifier or contact), no free text anyone typed (descriptions and notes
may name people), and photos only once street staff marked them publishable.

A resident following their own case sees more — their own words, the department's result
note and photos, the reason a report was not accepted — but still nobody's name or phone
and no internal note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import (
    OPEN_STATUSES,
    Attachment,
    Case,
    CaseStatus,
    normalize_tracking_code,
)
from grids.geometry import METRES_PER_DEGREE_LAT, haversine_m
from grids.models import District
from grids.spatial import cell_ids_near

S = CaseStatus
PUBLIC_DAYS = 90
ROUND_M = 50.0
NEARBY_M = 100.0
MAP_LIMIT = 500  # points on the public map at once (newest first)


# --- the public view of any public case -------------------------------------------------------


def public_cases(*, days: int = PUBLIC_DAYS) -> QuerySet[Case]:
    """Cases anyone may see: public categories, filed in the last ``days`` days, not
    rejected; newest first, with the category and department joined."""
    since = timezone.now() - timedelta(days=days)
    return (
        Case.objects.filter(category__public=True, created_at__gte=since)
        .exclude(status=S.REJECTED)
        .select_related("category", "category__parent", "department")
        .order_by("-created_at", "-id")
    )


def public_point(lon: float, lat: float) -> tuple[float, float]:
    """A location snapped to the centre of its cell of a ~``ROUND_M`` m grid: near enough to
    know the place, too coarse to point at a doorway."""
    step_lat = ROUND_M / METRES_PER_DEGREE_LAT
    snapped_lat = (math.floor(lat / step_lat) + 0.5) * step_lat
    step_lon = step_lat / max(math.cos(math.radians(snapped_lat)), 1e-6)
    snapped_lon = (math.floor(lon / step_lon) + 0.5) * step_lon
    return round(snapped_lon, 5), round(snapped_lat, 5)


# Plain-language stages of a case for residents (the statuses are the office's words).
STAGES = {
    S.COLLECTED: gettext_lazy("Received"),
    S.ACCEPTED: gettext_lazy("Accepted, being assigned"),
    S.DISPATCHED: gettext_lazy("With the department"),
    S.HANDLING: gettext_lazy("Being fixed"),
    S.SUSPENDED: gettext_lazy("On hold"),
    S.FEEDBACK: gettext_lazy("Fixed, being checked"),
    S.CLOSED: gettext_lazy("Checked and closed"),
    S.REJECTED: gettext_lazy("Not accepted"),
}


def stage_of(case: Case) -> str:
    return stage_for(case.status, merged=bool(case.duplicate_of_id))


def stage_for(status: str, *, merged: bool = False) -> str:
    """The stage of a case in ``status`` (``merged``: joined into another case), for reads
    that load values rather than cases (Open311's list of 1,000)."""
    if status == S.REJECTED and merged:
        return str(_("Joined an earlier report"))
    return str(STAGES[status])


def is_open(case: Case) -> bool:
    return case.status in OPEN_STATUSES


@dataclass(frozen=True)
class PublicCase:
    """A case as the public map and list show it."""

    number: str
    category: str
    category_code: str
    stage: str
    open: bool
    lon: float
    lat: float
    department: str
    created_at: datetime
    supporters: int

    @classmethod
    def of(cls, case: Case) -> PublicCase:
        lon, lat = public_point(case.lon, case.lat)
        return cls(
            number=case.number,
            category=case.category.name,
            category_code=case.category.code,
            stage=stage_of(case),
            open=is_open(case),
            lon=lon,
            lat=lat,
            department=case.department.name if case.department_id else "",
            created_at=case.created_at,
            supporters=case.supporters,
        )


def nearby_open_cases(lon: float, lat: float, *, metres: float = NEARBY_M) -> list[PublicCase]:
    """Open public cases within ``metres`` of a point, nearest first ("already reported
    nearby?"). Narrowed by the cells around the point (an index on cell and status), then by
    the exact distance."""
    cells = cell_ids_near(lon, lat, metres=metres)
    if not cells:
        return []
    candidates = public_cases().filter(cell_id__in=cells, status__in=sorted(OPEN_STATUSES))
    near = []
    for case in candidates[:200]:
        distance = haversine_m(lon, lat, case.lon, case.lat)
        if distance <= metres:
            near.append((distance, case))
    near.sort(key=lambda pair: pair[0])
    return [PublicCase.of(case) for _distance, case in near]


def public_photos() -> QuerySet[Attachment]:
    """Photos anyone may see: marked publishable by street staff, on a public case."""
    return Attachment.objects.filter(
        public=True,
        case__in=public_cases().values("pk"),
    )


# --- what a resident sees of their own case ---------------------------------------------------


@dataclass(frozen=True)
class Step:
    label: str
    at: datetime | None


@dataclass
class Progress:
    """A case's progress as a resident understands it."""

    case: Case
    stage: str
    steps: list[Step]
    reason: str = ""  # why it was not accepted (the street staff's reason)
    result_note: str = ""  # what the department says it did
    result_photos: list[Attachment] = field(default_factory=list)
    reopen_status: str = ""  # the latest reopen request's status
    decline_reason: str = ""


def _last_note(events: list, action: str) -> str:
    notes = [e.note for e in events if e.action == action]
    return notes[-1] if notes else ""


def progress_of(case: Case) -> Progress:
    """The steps reached so far (received … checked and closed), the reason a report was not
    accepted, and the department's latest result note and photos. Three queries."""
    events = list(case.events.order_by("seq").only("action", "note", "seq", "at"))
    steps = [Step(str(_("Received")), case.created_at)]
    for label, at in (
        (_("Accepted"), case.accepted_at),
        (_("Passed to the department"), case.dispatched_at),
        (_("Work started"), case.started_at),
        (_("Reported fixed"), case.reported_at),
        (_("Checked on site and closed"), case.closed_at),
    ):
        if at:
            steps.append(Step(str(label), at))
    progress = Progress(case=case, stage=stage_of(case), steps=steps)
    if case.status == S.REJECTED and not case.duplicate_of_id:
        progress.reason = _last_note(events, "reject")
    if case.reported_at:
        progress.result_note = _last_note(events, "report")
        progress.result_photos = list(
            case.attachments.filter(stage=Attachment.Stage.RESULT).order_by("created_at", "id")
        )
    request = case.reopen_requests.order_by("-created_at", "-id").first()
    if request is not None:
        progress.reopen_status = request.status
        progress.decline_reason = request.decline_reason
    return progress


def case_by_tracking_code(code: str) -> Case | None:
    """The case a resident follows by its code (as typed), with its category and
    department; None for an unknown code."""
    code = normalize_tracking_code(code)
    if not code:
        return None
    return (
        Case.objects.select_related("category", "department", "duplicate_of", "cell__community")
        .filter(tracking_code=code)
        .first()
    )


def resident_photos(case: Case) -> QuerySet[Attachment]:
    """Photos the resident following ``case`` may open: their own report's, and the
    department's result photos on it or on the case it joined (never a verifier's, never
    another reporter's)."""
    q = Q(case=case, stage__in=(Attachment.Stage.REPORT, Attachment.Stage.RESULT))
    if case.duplicate_of_id:
        q |= Q(case_id=case.duplicate_of_id, stage=Attachment.Stage.RESULT)
    return Attachment.objects.filter(q)


def portal_district() -> District | None:
    """The district the portal serves: the first by code (a deployment serves one district;
    Open311 names others by ``jurisdiction_id``)."""
    return District.objects.order_by("full_code").first()
