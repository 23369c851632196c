"""Writes of cases outside the state machine: intake (DESIGN §4 "collect").

Transitions after intake live in ``workflows.services``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import GridCell, Role
from grids.selectors import (
    TERRITORIAL_ROLES,
    AssignmentRow,
    active_assignments,
    assignment_rows,
)
from grids.spatial import cell_at
from residents.crypto import pii_hash
from residents.models import Household, Resident
from residents.selectors import households_served_by
from residents.validators import normalize_cn_phone
from workflows.clocks import start_step
from workflows.errors import ActionForbidden
from workflows.services import replayed_state, run_after_commit
from workflows.transitions import Actor

from .models import (
    RESIDENT_SOURCES,
    Attachment,
    Case,
    CaseContact,
    CaseEvent,
    CaseNumberCounter,
    CaseSource,
    CaseSupporter,
    new_tracking_code,
)
from .photos import prepare_photos
from .selectors import fileable_category, get_case_for

# Roles that report cases, each only inside the territory of their assignment.
REPORTING_ROLES = TERRITORIAL_ROLES
# What each channel a signed-in user files through may be (the channel decides, DESIGN §8).
STAFF_SOURCES = frozenset({CaseSource.HOTLINE})
FIELD_SOURCES = frozenset({CaseSource.PATROL, CaseSource.VISIT})
# The channels of people without an account (``by`` None).
ANONYMOUS_SOURCES = frozenset({CaseSource.RESIDENT, CaseSource.OPEN311})
MAX_DESCRIPTION = 2000  # characters: a report is a sentence or a paragraph, not a document


@dataclass(frozen=True)
class ReporterContact:
    """How to reach a resident reporter or a hotline caller (each part optional). Stored
    encrypted on the case (``CaseContact``) and shown only to street staff."""

    name: str = ""
    phone: str = ""
    email: str = ""

    def cleaned(self) -> ReporterContact:
        """The contact normalised (phone in its CN form); ``ValidationError`` keyed by
        ``name``/``phone``/``email`` for a bad part."""
        errors: dict[str, str] = {}
        name, phone, email = (self.name or "").strip(), (self.phone or "").strip(), ""
        if len(name) > 32:
            errors["name"] = _("At most %(n)d characters.") % {"n": 32}
        if phone:
            try:
                phone = normalize_cn_phone(phone)
            except ValidationError as exc:
                errors["phone"] = exc.messages[0]
        if (self.email or "").strip():
            email = self.email.strip()
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = _("Enter a valid email address.")
        if errors:
            raise ValidationError(errors)
        return ReporterContact(name=name, phone=phone, email=email)

    @property
    def key(self) -> str:
        """The keyed hash of the phone (else the email) that identifies this person for rate
        limits and one-per-person rules; "" for an anonymous report."""
        value = self.phone or self.email.lower()
        return pii_hash(value) if value else ""


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


def _outside(message: str) -> ValidationError:
    return ValidationError({"lon": message, "lat": message})


def _reporting_cell(
    *, by, source: str, lon: float, lat: float, assignments: list[AssignmentRow] | None
) -> tuple[GridCell, Actor]:
    """The cell at the point, if ``by`` may report there through ``source``'s channel, and
    ``by`` as an Actor: the reporter's ``assignments`` (rows of
    ``grids.selectors.assignment_rows``) are read here unless the caller already has them."""
    cell = cell_at(lon, lat)
    if cell is None:
        raise _outside(_("This point is outside every grid cell."))
    if by is None:  # an anonymous resident: no roles (``Actor(user=None)`` is the system)
        return cell, Actor(user=AnonymousUser())
    rows = assignment_rows(by) if assignments is None else assignments
    actor = Actor.of(by, rows)
    if not actor.roles:
        raise ActionForbidden(
            action="create",
            reason=_(
                "You have no current assignment, so you may not report cases. Residents "
                "report on the public portal."
            ),
        )
    if source in STAFF_SOURCES and Role.STREET_STAFF not in actor.roles:
        raise ActionForbidden(action="create", reason=_("Only street staff take hotline calls."))
    if not actor.roles & REPORTING_ROLES:  # handlers report results, not new cases
        raise ActionForbidden(action="create", reason=_("Your role may not report cases."))
    serves = [row[1:6] for row in rows if row[0] in REPORTING_ROLES]
    if not _serves_cell(serves, cell):
        raise _outside(
            _("This point is in cell %(cell)s, outside the area you serve.") % {"cell": cell}
        )
    return cell, actor


def _served_household(
    *, by, cell: GridCell, household_id: int | None, resident_id: int | None
) -> tuple[Household | None, Resident | None]:
    """The household (and resident) a case is linked to, if ``by`` serves it and it lies in
    the case's cell; ``ValidationError`` keyed ``household`` otherwise."""
    if household_id is None:
        if resident_id is not None:
            raise ValueError("a resident is linked through their household")
        return None, None
    refused = ValidationError({"household": _("Choose a household you serve, in this cell.")})
    household = households_served_by(by).filter(pk=household_id, cell=cell).first()
    if household is None:
        raise refused
    resident = None
    if resident_id is not None:
        resident = household.residents.filter(pk=resident_id).first()
        if resident is None:
            raise refused
    return household, resident


def title_from(sentence: str) -> str:
    """A title for a report written as one sentence: its first clause, shortened."""
    first = sentence.strip().splitlines()[0] if sentence.strip() else ""
    for stop in "。！？.!?，,；;":
        first = first.split(stop)[0] or first
    return first[:40]


def create_case(**kwargs) -> Case:
    """``file_case(...).case``: the new case alone (same arguments, rules and errors)."""
    return file_case(**kwargs).case


def file_case(
    *,
    by,
    title: str,
    description: str,
    category_code: str,
    lon: float,
    lat: float,
    address: str = "",
    source: str = CaseSource.PATROL,
    contact: ReporterContact | None = None,
    photos: Sequence = (),
    household_id: int | None = None,
    resident_id: int | None = None,
    assignments: list[AssignmentRow] | None = None,
) -> Intake:
    """File a new case (信息收集) at a point; return it (status ``collected``) and the reporter
    as an ``Actor`` (for the API's ``allowed_actions`` without reading their roles again).

    ``source`` is the channel that received the case, decided by the interface, never by a
    client: a signed-in reporter's page or API files ``patrol`` (or ``visit``), the street
    staff's hotline page ``hotline``; ``by`` None (no account) files ``resident`` (the portal)
    or ``open311``, and only under categories residents may report (``Category.public``).
    Priority is the category's; street staff correct it at acceptance. A blank ``title`` is
    the description's first clause (a phone's report is one sentence).

    Workers, volunteers, street staff and district admins report only inside the territory
    they serve; a user with no current assignment and a handler may not report. Cases from
    residents and callers (``RESIDENT_SOURCES``) get a tracking code and keep ``contact``.
    The cell comes from the point, the street from the cell; the number is
    ``<district>-<yyyymmdd>-<sequence>``; the acceptance deadline starts now. Writes the
    first ``CaseEvent`` (``create``: "" → collected) and stores ``photos`` as report photos
    (the returned case has them loaded). The case is marked ``intake_pending``; after commit
    a sweep (``workflows.tasks.follow_up_intakes``) tells the street's staff (and the
    resident) and flags duplicates.

    Raises ``ValidationError`` for an unknown, inactive or (for residents) non-public
    category (``category``), empty or over-long title/description, a bad contact part
    (``name``/``phone``/``email``), a point outside every cell or outside the reporter's
    territory (``lon``/``lat``), a file that is not an accepted photo (``photos``), or a
    ``household_id`` the reporter does not serve, not in the point's cell, or without
    ``resident_id`` among its residents (``household``: a service case found on a visit or a
    care check-in is linked to the household and resident it serves);
    ``ActionForbidden`` for a handler, a user with no current assignment, or a hotline case
    from anyone but street staff; ``ValueError`` for a source the caller's channel may not
    set (a programming error, not a user's). ``assignments``: ``by``'s current assignments
    as ``grids.selectors.assignment_rows``, when the caller has read them already.
    """
    allowed = ANONYMOUS_SOURCES if by is None else FIELD_SOURCES | STAFF_SOURCES
    if source not in allowed:
        raise ValueError(f"a {'resident' if by is None else 'user'} cannot file as {source!r}")
    errors: dict[str, str] = {}
    title = (title or "").strip() or title_from(description or "")
    if not title:
        errors["title"] = _("This field is required.")
    if not (description or "").strip():
        errors["description"] = _("This field is required.")
    elif len(description.strip()) > MAX_DESCRIPTION:
        errors["description"] = _("At most %(n)d characters.") % {"n": MAX_DESCRIPTION}
    category = fileable_category(category_code)
    if category is None or (source in ANONYMOUS_SOURCES and not category.public):
        errors["category"] = _("Choose an active sub-category.")
    if contact is not None:
        try:
            contact = contact.cleaned()
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    photos = prepare_photos(photos)
    cell, actor = _reporting_cell(by=by, source=source, lon=lon, lat=lat, assignments=assignments)
    household, resident = _served_household(
        by=by, cell=cell, household_id=household_id, resident_id=resident_id
    )
    now = timezone.now()
    case = Case(
        title=title.strip(),
        description=description.strip(),
        category=category,
        priority=category.default_priority,
        source=source,
        lon=lon,
        lat=lat,
        address=address,
        cell=cell,
        street=cell.community.street,
        reporter=by,
        household=household,
        resident=resident,
        created_at=now,
        version=1,
        intake_pending=True,
        tracking_code=new_tracking_code() if source in RESIDENT_SOURCES else None,
    )
    # Lengths and formats of the free-text fields (everything else was checked above).
    case.clean_fields(exclude={f.name for f in Case._meta.fields} - {"title", "address"})
    start_step(case, now=now)
    district_code = cell.community.street.district.code
    with (
        transaction.atomic(),
        # The number is taken by the transaction's last statement (the counter row of the
        # district and day is locked from then to the commit: every intake of the district
        # waits on it), and a failed intake gives it back.
        CaseNumberCounter.numbering(case, district_code=district_code, day=timezone.localdate(now)),
    ):
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
        if contact is not None and source in RESIDENT_SOURCES:
            CaseContact.objects.create(
                case=case,
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
                contact_hash=contact.key,
            )
        attachments = [
            Attachment.build(case=case, stage=Attachment.Stage.REPORT, photo=photo, event=event)
            for photo in photos
        ]
        for attachment in attachments:
            attachment.save()
        # After commit: street staff's notice (and the resident's), duplicate detection, by a
        # sweep shared with the intakes around this one. The case is filed even if the broker
        # is down; its mark (intake_pending) keeps the work until a sweep does it.
        run_after_commit(_request_follow_up)
    set_loaded(case, "attachments", attachments)
    return Intake(case=case, actor=actor)


def support_case(*, case_id: int, fingerprint: str) -> int:
    """附议 "me too": a resident with the same problem backs an open case instead of filing a
    duplicate. Counted once per ``fingerprint`` (a keyed hash of their device). Returns the
    case's supporter count. The caller has checked that the public may see the case;
    ``ValidationError`` if it is no longer open."""
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).get(pk=case_id)
        if not case.is_open:
            raise ValidationError({"case": _("This case is closed; report the problem again.")})
        _row, created = CaseSupporter.objects.get_or_create(case=case, fingerprint=fingerprint)
        if created:
            case.supporters += 1
            case.save(update_fields=["supporters"])
    return case.supporters


def set_photo_public(*, case_id: int, attachment_id: int, by, public: bool) -> Attachment:
    """Street staff of the case's street mark one of its photos publishable (shown on the
    public map and Open311) or take it back. ``Http404`` out of scope or for another case's
    photo; ``ActionForbidden`` for anyone but the street's staff; ``ValidationError`` for a
    case of a category the public never sees."""
    case = get_case_for(by, case_id)
    streets = set(
        active_assignments(by).filter(role=Role.STREET_STAFF).values_list("street_id", flat=True)
    )
    if case.street_id not in streets:
        raise ActionForbidden(
            action="publish", reason=_("Only street staff of the case's street publish photos.")
        )
    if public and not case.category.public:
        raise ValidationError({"public": _("Cases of this category are never shown publicly.")})
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such photo on this case.")
    attachment.public = public
    attachment.save(update_fields=["public"])
    return attachment


def set_loaded(case: Case, related_name: str, rows: list) -> None:
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
