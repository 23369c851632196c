"""Duplicate detection at intake (疑似重复, DESIGN §4): the same problem reported twice.

A candidate is an earlier case of the same sub-category within ``RADIUS_M`` metres, filed in
the ``WINDOW`` before the new one, that was not rejected. Candidates are stored as
``DuplicateCandidate`` rows and street staff are told; merging stays a human decision.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _

from grids.geometry import degree_box, haversine_m
from workflows.models import NotificationKind
from workflows.notifications import Recipients, notify

from .models import Case, CaseStatus, DuplicateCandidate

RADIUS_M = 50.0
WINDOW = timedelta(hours=72)


def find_duplicate_candidates(case: Case) -> list[tuple[Case, float]]:
    """Earlier cases that may report the same problem as ``case``, nearest first, as
    ``(case, distance in metres)``; stores each pair as a ``DuplicateCandidate`` (once).

    A bounding box on lon/lat narrows the rows in SQL (index-friendly, no GIS needed); the
    exact haversine distance decides.
    """
    dlon, dlat = degree_box(case.lat, RADIUS_M)
    rows = (
        Case.objects.filter(
            category_id=case.category_id,
            created_at__gte=case.created_at - WINDOW,
            created_at__lte=case.created_at,
            lon__range=(case.lon - dlon, case.lon + dlon),
            lat__range=(case.lat - dlat, case.lat + dlat),
        )
        .exclude(pk=case.pk)
        .exclude(status=CaseStatus.REJECTED)
        .order_by("created_at", "pk")
    )
    found = []
    for other in rows:
        distance = haversine_m(case.lon, case.lat, other.lon, other.lat)
        if distance <= RADIUS_M:
            found.append((other, distance))
    found.sort(key=lambda pair: pair[1])
    if found:
        DuplicateCandidate.objects.bulk_create(
            [
                DuplicateCandidate(case=case, candidate=other, distance_m=round(distance, 1))
                for other, distance in found
            ],
            ignore_conflicts=True,
        )
    return found


def flag_duplicates(case_id: int) -> int:
    """Look for duplicates of a newly filed case and tell the street's staff (once) if any.
    Returns the number of candidates; a vanished or rejected case has none."""
    case = Case.objects.select_related("street").filter(pk=case_id).first()
    if case is None or case.status == CaseStatus.REJECTED:
        return 0
    found = find_duplicate_candidates(case)
    if found:
        numbers = ", ".join(f"{other.number} ({distance:.0f} m)" for other, distance in found[:5])
        message = _(
            "Case %(number)s “%(title)s” may duplicate %(count)d recent case(s) nearby: %(others)s."
        ) % {"number": case.number, "title": case.title, "count": len(found), "others": numbers}
        notify(
            users=Recipients([case]).street_staff(case),
            case=case,
            kind=NotificationKind.DUPLICATE,
            message=message,
            key=f"duplicate:{case.pk}",
        )
    return len(found)
