"""Visit rules (走访): a visit whose GPS fix lies outside the household's cell, and a run of
visits logged minutes apart.

- Outside the cell: the fix is farther from the household's cell than its own accuracy plus
  ``INTEGRITY_VISIT_MARGIN_M`` (50 m: a doorway on the cell's edge, GPS in a stairwell), so
  a coarse fix next to the boundary raises nothing. A visit with no fix is not judged here.
- Minutes apart: ``INTEGRITY_VISIT_RUN_MIN`` (4) or more visits by one worker, each within
  ``INTEGRITY_VISIT_RUN_GAP_MINUTES`` (3) of the one before: a visit is a knock, a talk and a
  note, and four in under ten minutes looks like a list ticked off from one place. One flag
  per run, on its first visit, naming the others; a run sharing a visit with an earlier run
  flag of the worker's is that run found again (``FlagDraft.overlaps``), not a new one.

Case-scoped scans (``Window.case_ids``) have no visits to look at.
"""

from __future__ import annotations

from django.db.models import F
from shapely.geometry import Point, shape

from grids.geometry import to_metres
from residents.models import Visit

from ..conf import setting
from ..models import Rule
from .base import FlagDraft, Window, iso


def _in_window(window: Window):
    return Visit.objects.filter(visited_at__gte=window.since, visited_at__lt=window.until)


def _distance_m(cell_geometry: dict, lon: float, lat: float) -> float:
    polygon, point = shape(cell_geometry), Point(lon, lat)
    return float(to_metres(polygon, lat0=lat).distance(to_metres(point, lat0=lat)))


def visits_outside_cell(window: Window) -> list[FlagDraft]:
    if window.case_ids is not None:
        return []
    margin = setting("INTEGRITY_VISIT_MARGIN_M")
    visits = (
        _in_window(window)
        .filter(lon__isnull=False, lat__isnull=False)
        .exclude(fix_cell_id__isnull=False, fix_cell_id=F("household__cell_id"))
        .select_related("household__cell", "fix_cell")
    )
    drafts = []
    for visit in visits:
        cell = visit.household.cell
        distance = _distance_m(cell.geometry, visit.lon, visit.lat)
        if distance <= (visit.accuracy_m or 0) + margin:
            continue
        drafts.append(
            FlagDraft(
                rule=Rule.VISIT_OUTSIDE_CELL,
                case_id=None,
                visit_id=visit.pk,
                subject_id=visit.worker_id,
                evidence={
                    "visited_at": iso(visit.visited_at),
                    "fixed_at": iso(visit.fixed_at),
                    "household_cell": cell.full_code,
                    "fix_cell": visit.fix_cell.full_code if visit.fix_cell else None,
                    "lon": visit.lon,
                    "lat": visit.lat,
                    "accuracy_m": visit.accuracy_m,
                    "distance_m": round(distance),
                },
            )
        )
    return drafts


def visit_runs(window: Window) -> list[FlagDraft]:
    if window.case_ids is not None:
        return []
    least = setting("INTEGRITY_VISIT_RUN_MIN")
    gap = setting("INTEGRITY_VISIT_RUN_GAP_MINUTES") * 60
    rows = (
        _in_window(window)
        .order_by("worker_id", "visited_at", "id")
        .values_list("pk", "worker_id", "visited_at", "household_id")
    )
    runs: list[list[tuple]] = []
    for row in rows:
        last = runs[-1][-1] if runs else None
        if last and last[1] == row[1] and (row[2] - last[2]).total_seconds() <= gap:
            runs[-1].append(row)
        else:
            runs.append([row])
    return [
        FlagDraft(
            rule=Rule.VISIT_RUN,
            case_id=None,
            visit_id=run[0][0],
            subject_id=run[0][1],
            related_visit_ids=[r[0] for r in run[1:]],
            overlaps=True,
            evidence={
                "visits": len(run),
                "minutes": round((run[-1][2] - run[0][2]).total_seconds() / 60, 1),
                "times": [iso(r[2]) for r in run],
                "households": [r[3] for r in run],
                "max_gap_minutes": setting("INTEGRITY_VISIT_RUN_GAP_MINUTES"),
            },
        )
        for run in runs
        if len(run) >= least
    ]
