"""Writes of cases outside the state machine: intake (DESIGN §4 "collect").

Transitions after intake live in ``workflows.services``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import GridCell
from grids.selectors import CELL_LEVEL_PATH, TERRITORIAL_ROLES, active_assignments, territory_q
from grids.spatial import cell_at
from workflows.errors import ActionForbidden
from workflows.services import check_photos, replayed_state, run_after_commit, start_step

from .models import Attachment, Case, CaseEvent, CaseNumberCounter, CaseSource, Category, Priority

# Roles that report cases, each only inside the territory of their assignment.
REPORTING_ROLES = TERRITORIAL_ROLES


def _reporting_cell(*, by, lon: float, lat: float) -> GridCell:
    cell = cell_at(lon, lat)
    if cell is None:
        message = _("This point is outside every grid cell.")
        raise ValidationError({"lon": message, "lat": message})
    rows = (
        list(
            active_assignments(by).values_list(
                "role", "scope", "district_id", "street_id", "community_id", "cell_id"
            )
        )
        if by is not None
        else []
    )
    roles = {row[0] for row in rows}
    if roles & REPORTING_ROLES:
        serves = territory_q(
            [row[1:] for row in rows if row[0] in REPORTING_ROLES], level_paths=CELL_LEVEL_PATH
        )
        if not GridCell.objects.filter(serves, pk=cell.pk).exists():
            message = _("This point is in cell %(cell)s, outside the area you serve.") % {
                "cell": cell
            }
            raise ValidationError({"lon": message, "lat": message})
    elif roles:  # handlers report results, not new cases
        raise ActionForbidden(action="create", reason=_("Your role may not report cases."))
    return cell


def create_case(
    *,
    by,
    title: str,
    description: str,
    category_code: str,
    lon: float,
    lat: float,
    address: str = "",
    priority: str | None = None,
    source: str = CaseSource.PATROL,
    photos: Sequence = (),
) -> Case:
    """File a new case (信息收集) at a point and return it, status ``collected``.

    ``by`` is the reporting user, or None for an anonymous resident. Workers, volunteers,
    street staff and district admins may report only inside the territory they serve;
    users without any assignment report as residents; handlers may not report.
    The cell comes from the point, the street from the cell; the number is
    ``<district>-<yyyymmdd>-<sequence>``; the acceptance deadline starts now. Writes the
    first ``CaseEvent`` (``create``: "" → collected) and stores ``photos`` as report photos.

    Raises ``ValidationError`` for an unknown/inactive category (``category``), a bad
    priority or source, empty title/description, a point outside every cell or outside the
    reporter's territory (``lon``/``lat``), or a file that is not a JPEG/PNG/WebP ≤ 10 MB
    (``photos``); ``ActionForbidden`` for a handler.
    """
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = _("This field is required.")
    if not (description or "").strip():
        errors["description"] = _("This field is required.")
    category = Category.objects.fileable().filter(code=category_code).first()
    if category is None:
        errors["category"] = _("Choose an active sub-category.")
    if priority is not None and priority not in Priority.values:
        errors["priority"] = _("Unknown priority.")
    if source not in CaseSource.values:
        errors["source"] = _("Unknown source.")
    if errors:
        raise ValidationError(errors)
    check_photos(photos, required=False)
    cell = _reporting_cell(by=by, lon=lon, lat=lat)
    now = timezone.now()
    case = Case(
        title=title.strip(),
        description=description.strip(),
        category=category,
        priority=priority or category.default_priority,
        source=source,
        lon=lon,
        lat=lat,
        address=address,
        cell=cell,
        street=cell.community.street,
        reporter=by,
        created_at=now,
        version=1,
    )
    # Lengths and formats of the free-text fields (everything else was checked above).
    case.clean_fields(exclude={f.name for f in Case._meta.fields} - {"title", "address"})
    # The day's counter row is locked only while the number is taken, not for the whole
    # intake, which made concurrent reports wait in line (a failed insert leaves a gap).
    case.number = CaseNumberCounter.next_number(
        district_code=cell.community.street.district.code, day=timezone.localdate(now)
    )
    with transaction.atomic():
        start_step(case, now=now)
        case.save(force_insert=True)
        event = CaseEvent.objects.create(
            case=case,
            seq=1,
            action="create",
            from_status="",
            to_status=case.status,
            actor=by,
            at=now,
            note=description.strip(),
            payload={"changes": {k: v for k, v in replayed_state(case).items() if k != "status"}},
        )
        for photo in photos:
            Attachment.build(
                case=case, stage=Attachment.Stage.REPORT, file=photo, event=event
            ).save()
        # After commit: duplicate detection and street staff's notice (robust: the case is
        # filed even if the broker is down).
        run_after_commit(_queue_after_intake, case.pk)
    return case


def _queue_after_intake(case_id: int) -> None:
    from workflows.tasks import queue_after_intake  # tasks import cases modules

    queue_after_intake(case_id)
