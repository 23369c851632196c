"""Writes of cases outside the state machine: intake (DESIGN §4 "collect").

Transitions after intake live in ``workflows.services``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import GridCell, Role
from grids.selectors import TERRITORIAL_ROLES, active_assignments
from grids.spatial import cell_at
from workflows.errors import ActionForbidden
from workflows.services import replayed_state, run_after_commit, start_step
from workflows.transitions import Actor

from .models import Attachment, Case, CaseEvent, CaseNumberCounter, CaseSource, Priority
from .photos import prepare_photos
from .selectors import fileable_category

# Roles that report cases, each only inside the territory of their assignment.
REPORTING_ROLES = TERRITORIAL_ROLES


@dataclass(frozen=True)
class Intake:
    """What ``file_case`` returns: the new case, and the reporter as an ``Actor`` (their
    roles, from the assignment rows intake read anyway) for deciding what they may do next."""

    case: Case
    actor: Actor


def _serves_cell(rows, cell: GridCell) -> bool:
    """Does one of the assignment rows (scope, district, street, community, cell ids) cover
    ``cell``? The rule of ``grids.selectors.territory_q``, decided on the loaded cell rather
    than by another query."""
    street = cell.community.street
    ids = {
        "cell": cell.pk,
        "community": cell.community_id,
        "street": street.pk,
        "district": street.district_id,
    }
    levels = ("district", "street", "community", "cell")
    return any(dict(zip(levels, row[1:], strict=True))[row[0]] == ids[row[0]] for row in rows)


def _reporting_cell(*, by, lon: float, lat: float) -> tuple[GridCell, Actor]:
    """The cell at the point, if ``by`` may report there, and ``by`` as an Actor: one query
    for the cell and one for the reporter's assignments."""
    cell = cell_at(lon, lat)
    if cell is None:
        message = _("This point is outside every grid cell.")
        raise ValidationError({"lon": message, "lat": message})
    if by is None:  # an anonymous resident: no roles (``Actor(user=None)`` is the system)
        return cell, Actor(user=AnonymousUser())
    rows = list(
        active_assignments(by).values_list(
            "role", "scope", "district_id", "street_id", "community_id", "cell_id", "department_id"
        )
    )
    actor = Actor(
        user=by,
        roles=frozenset(row[0] for row in rows),
        handler_departments=frozenset(row[6] for row in rows if row[0] == Role.HANDLER and row[6]),
    )
    if actor.roles & REPORTING_ROLES:
        serves = [row[1:6] for row in rows if row[0] in REPORTING_ROLES]
        if not _serves_cell(serves, cell):
            message = _("This point is in cell %(cell)s, outside the area you serve.") % {
                "cell": cell
            }
            raise ValidationError({"lon": message, "lat": message})
    elif actor.roles:  # handlers report results, not new cases
        raise ActionForbidden(action="create", reason=_("Your role may not report cases."))
    return cell, actor


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
    first ``CaseEvent`` (``create``: "" → collected) and stores ``photos`` as report photos
    (the returned case has them loaded). The case is marked ``intake_pending``; after commit
    a sweep (``workflows.tasks.follow_up_intakes``) tells the street's staff and flags
    duplicates.

    Raises ``ValidationError`` for an unknown/inactive category (``category``), a bad
    priority or source, empty title/description, a point outside every cell or outside the
    reporter's territory (``lon``/``lat``), or photos ``cases.photos.prepare_photos``
    refuses (``photos``); ``ActionForbidden`` for a handler.
    """
    return file_case(
        by=by,
        title=title,
        description=description,
        category_code=category_code,
        lon=lon,
        lat=lat,
        address=address,
        priority=priority,
        source=source,
        photos=photos,
    ).case


def file_case(
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
) -> Intake:
    """``create_case``, also returning the reporter as an ``Actor`` (for the API's
    ``allowed_actions`` without reading their assignments again). Same rules and errors."""
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = _("This field is required.")
    if not (description or "").strip():
        errors["description"] = _("This field is required.")
    category = fileable_category(category_code)
    if category is None:
        errors["category"] = _("Choose an active sub-category.")
    if priority is not None and priority not in Priority.values:
        errors["priority"] = _("Unknown priority.")
    if source not in CaseSource.values:
        errors["source"] = _("Unknown source.")
    if errors:
        raise ValidationError(errors)
    photos = prepare_photos(photos)
    cell, actor = _reporting_cell(by=by, lon=lon, lat=lat)
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
        intake_pending=True,
    )
    # Lengths and formats of the free-text fields (everything else was checked above).
    case.clean_fields(exclude={f.name for f in Case._meta.fields} - {"title", "address"})
    start_step(case, now=now)
    with transaction.atomic():
        # Taken in this transaction, as late as possible: the counter row stays locked only
        # for the two inserts and the commit, and a failed intake gives its number back.
        case.number = CaseNumberCounter.next_number(
            district_code=cell.community.street.district.code, day=timezone.localdate(now)
        )
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
        attachments = [
            Attachment.build(case=case, stage=Attachment.Stage.REPORT, photo=photo, event=event)
            for photo in photos
        ]
        for attachment in attachments:
            attachment.save()
        # After commit: street staff's notice and duplicate detection, by a sweep shared
        # with the intakes around this one. The case is filed even if the broker is down;
        # its mark (intake_pending) keeps the work until a sweep does it.
        run_after_commit(_request_follow_up)
    _set_loaded(case, "attachments", attachments)
    return Intake(case=case, actor=actor)


def _set_loaded(case: Case, related_name: str, rows: list) -> None:
    """Mark ``case.<related_name>.all()`` as loaded with ``rows``, as ``prefetch_related``
    would: the caller just wrote them, so showing them needs no query."""
    queryset = getattr(case, related_name).all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    case._prefetched_objects_cache = {
        **getattr(case, "_prefetched_objects_cache", {}),
        related_name: queryset,
    }


def _request_follow_up() -> None:
    from workflows.tasks import request_intake_follow_up  # tasks import cases modules

    request_intake_follow_up()
