"""The transition runner: one locked, checked, recorded step of a case (see the package
docstring for the contract every action shares), and the replay of a case's events."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import wraps

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Attachment, Case, CaseEvent
from cases.photos import PreparedPhoto, prepare_photos
from cases.selectors import CaseLeftScope, get_case_for

from .. import outbox
from ..clocks import move_clock
from ..errors import ActionForbidden, TransitionNotAllowed
from ..notifications import settle_case_notices
from ..transitions import (
    ACTION_LABELS,
    Actor,
    actor_fits,
    allowed_actions,
    refusal,
    role_may,
    state_allows,
    target_state,
)

# Fields rebuilt by replay_events from the events' payloads.
REPLAYED_FIELDS = (
    "status",
    "category_id",
    "priority",
    "cell_id",
    "street_id",
    "department_id",
    "handler_id",
    "verifier_id",
    "cross_check",
    "rework_count",
    "duplicate_of_id",
    "return_count",
    "binding",
    "review_at",
    "suspended_seconds",
    "paused_clock",
    "lead_reported_at",
    "open_parts",
    "pending_summons",
    "transfer_to_id",
)

logger = logging.getLogger(__name__)


# --- events and replay ------------------------------------------------------------------------


def _json_value(value: object) -> object:
    """A replayed field's value as an event's payload keeps it (times in ISO form, UTC)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def replayed_state(case: Case) -> dict:
    """The ``REPLAYED_FIELDS`` of a case, as ``replay_events`` rebuilds them."""
    return {name: _json_value(getattr(case, name)) for name in REPLAYED_FIELDS}


def replay_events(events: Iterable[CaseEvent]) -> dict:
    """Rebuild the ``REPLAYED_FIELDS`` of a case from its events, in ``seq`` order.

    Raises ``ValueError`` if the chain is broken: a gap in ``seq``, or an event whose
    ``from_status`` is not the status the previous events led to.
    """
    state: dict = dict.fromkeys(REPLAYED_FIELDS)
    state["status"] = ""
    for expected_seq, event in enumerate(sorted(events, key=lambda e: e.seq), start=1):
        if event.seq != expected_seq:
            raise ValueError(f"event seq {event.seq} where {expected_seq} was expected")
        if event.from_status != state["status"]:
            raise ValueError(
                f"event {event.seq} ({event.action}) starts from {event.from_status!r} "
                f"but the case was {state['status']!r}"
            )
        state.update(event.payload.get("changes", {}))
        state["status"] = event.to_status
    return state


def concrete_values(case: Case) -> dict:
    return {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}


def save_with_event(
    case: Case,
    *,
    before: dict,
    action: str,
    from_status: str,
    actor: Actor,
    now: datetime,
    note: str = "",
    payload: dict | None = None,
    photos: Sequence[PreparedPhoto] = (),
    photo_stage: str = "",
    settle_notices: bool = True,
) -> CaseEvent:
    """Bump the version, save the changed columns, write the event and its photos; the
    to-do notices about the case are done (whoever took the step), unless the event did
    nothing about the case (``settle_notices=False``: a worker's note added to it)."""
    case.version += 1
    after = concrete_values(case)
    case.save(update_fields=[name for name, value in after.items() if before[name] != value])
    changes = {
        name: _json_value(after[name])
        for name in REPLAYED_FIELDS
        if name != "status" and before[name] != after[name]
    }
    event = CaseEvent.objects.create(
        case=case,
        seq=case.version,
        action=action,
        from_status=from_status,
        to_status=case.status,
        actor=actor.user,
        at=now,
        note=note,
        payload={"changes": changes, **(payload or {})},
    )
    for photo in photos:
        Attachment.build(case=case, stage=photo_stage, photo=photo, event=event).save()
    if settle_notices:
        settle_case_notices(case_id=case.pk, now=now)
    return event


def _prepared_before_lock(photos: Sequence) -> Sequence:
    """``photos`` prepared before the case is locked (decoding takes a tenth of a second or
    more a photo, and on SQLite the lock is the whole database's). If they are refused, the
    files as they came, for ``prepare_photos`` to refuse in their turn, after the state checks,
    so a closed case still answers 409 before a bad photo answers 400."""
    try:
        return prepare_photos(photos)
    except ValidationError:
        return photos


def require(**fields: object) -> None:
    missing = {
        name: _("This field is required.")
        for name, value in fields.items()
        if value is None or (isinstance(value, str) and not value.strip())
    }
    if missing:
        raise ValidationError(missing)


Apply = Callable[[Case, Actor, datetime], dict | None]


def needs(**fields: object) -> Apply:
    """An ``apply`` that only checks required fields."""

    def apply(case: Case, actor: Actor, now: datetime) -> None:
        require(**fields)

    return apply


# --- the transition runner --------------------------------------------------------------------


def _load_locked(action: str, case_id: int, by) -> Case:
    """The case, locked; ``Http404`` outside ``by``'s scope. A case that was in scope when
    the step came, and left it through a step that held the lock meanwhile, is a 409 with
    its new state (and nothing else about it): the user lost a race, the case exists."""
    if by is None:  # the system acts on any case
        case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        if case is None:
            raise Http404("No case matches the given query.")
        return case
    try:
        return get_case_for(by, case_id, for_update=True)
    except CaseLeftScope as gone:
        raise TransitionNotAllowed(
            action=action,
            status=gone.status,
            allowed=[],
            reason=_("Someone else's step has just moved this case out of your reach."),
        ) from None


def _forbidden_message(action: str) -> str:
    return _("You are not the person who may %(action)s this case.") % {
        "action": ACTION_LABELS[action]
    }


# PostgreSQL's "deadlock detected" and "could not serialize access": the transaction lost a
# race it could not have avoided; tried once more, it normally goes through.
CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})


def is_conflict(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "pgcode", None) in CONFLICT_SQLSTATES


def once_more_on_conflict(service: Callable[..., Case]) -> Callable[..., Case]:
    """Run ``service`` again once if its transaction lost a deadlock or serialization race;
    a second loss is a 409 naming the case's state now (``TransitionNotAllowed``), not a 500.
    Inside an outer transaction (which the lost race has broken) the error is left to it."""

    @wraps(service)
    def wrapper(action: str, *, case_id: int, **kwargs) -> Case:
        for attempt in (1, 2):
            if connection.in_atomic_block:
                return service(action, case_id=case_id, **kwargs)
            try:
                return service(action, case_id=case_id, **kwargs)
            except OperationalError as exc:
                if not is_conflict(exc):
                    raise
                logger.warning("%s of case %s lost a race (attempt %s)", action, case_id, attempt)
        status = Case.objects.filter(pk=case_id).values_list("status", flat=True).first()
        raise TransitionNotAllowed(
            action=action,
            status=status or "",
            allowed=[],
            reason=_("Someone changed this case at the same moment; reload it and try again."),
        )

    return wrapper


@once_more_on_conflict
def run_transition(
    action: str,
    *,
    case_id: int,
    by,
    apply: Apply | None = None,
    note: str = "",
    photos: Sequence = (),
    photo_stage: str = "",
    photo_required: Callable[[Case], bool] | None = None,
) -> Case:
    """Run ``action`` on the case (the package docstring gives the order of checks).

    ``apply`` validates the action's fields and sets them on the locked case; it returns
    extra payload for the event. Photos are checked after it (``prepare_photos``; required
    where ``photo_required(case)`` says so) and stored as ``photo_stage``. Status, clock
    (``workflows.clocks.move_clock``), version and event are handled here.
    """
    photos = _prepared_before_lock(photos)
    with transaction.atomic():
        actor = Actor.of(by)
        case = _load_locked(action, case_id, by)
        if not role_may(action, actor):
            raise ActionForbidden(
                action=action,
                reason=_("Your role may not %(action)s cases.") % {"action": action},
            )
        if not state_allows(action, case):
            raise TransitionNotAllowed(
                action=action,
                status=case.status,
                allowed=allowed_actions(case, by, actor=actor),
                reason=refusal(action, case),
            )
        if not actor_fits(action, case, actor):
            raise ActionForbidden(action=action, reason=_forbidden_message(action))
        before = concrete_values(case)
        from_status = case.status
        now = timezone.now()
        payload = (apply(case, actor, now) if apply else None) or {}
        if photo_stage:
            required = photo_required is not None and photo_required(case)
            photos = prepare_photos(photos, required=required)
        case.transition_to(target_state(action, case))
        payload |= move_clock(case, from_status=from_status, now=now)
        save_with_event(
            case,
            before=before,
            action=action,
            from_status=from_status,
            actor=actor,
            now=now,
            note=note,
            payload=payload,
            photos=photos,
            photo_stage=photo_stage,
        )
        # What the step owes (routing after accept, notices) is recorded with it: a broker
        # outage delays it, never loses it (workflows.outbox).
        outbox.record_transition(case.pk, action, case.version)
    return case


def run_after_commit(func: Callable, *args) -> None:
    """Call ``func(*args)`` once the transaction commits; if it fails (a broker outage), log
    it and go on: the step is committed and must not turn into an error. A closure, not
    ``functools.partial``: Django logs a failing callback by its ``__qualname__``, which a
    partial lacks (the log call itself would raise and hide the first error)."""

    def callback() -> None:
        func(*args)

    callback.__qualname__ = f"{func.__qualname__}{args}"
    transaction.on_commit(callback, robust=True)
