"""Notifications (通知): an in-app inbox row per person, plus an email where they have an address.

Who must act next on a case depends on its state (DESIGN §4): street staff of the case's
street while it is collected or accepted, the department's handlers (or the named handler)
while it is dispatched or handled, the assigned verifier while it awaits verification, and
the reporter once it is closed or rejected.

Sending is idempotent: every notification carries a ``dedupe_key`` (the caller's key plus
the user id), so a task delivered twice or a scanner run twice creates each row once and
queues its email once.

Notices clear themselves: a step on a case, taken by anyone, marks every to-do notice about it
done (``settle_case_notices``, in the step's transaction); and a new notice about a case
replaces the user's older open ones about it, so a user has at most one open notice per case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseStatus
from grids.models import Assignment, Role

from . import mail, outbox, steps
from .joint_notices import joint_message, joint_next_actors
from .models import Notification, NotificationKind

S = CaseStatus
# Notices that ask someone to act on the case as it stands (all but the survey request).
TO_DO_KINDS = tuple(k for k in NotificationKind.values if k != NotificationKind.SATISFACTION)
# Actions after which the case sits in handling with nobody but the handler to act: start
# (the handler acted himself) needs no notice; resume and a decided extension do.
_HANDLER_ACTIONS_IN_HANDLING = frozenset({"resume", "approve_extension", "refuse_extension"})


@dataclass(frozen=True)
class Draft:
    """One notification to one user, not yet stored."""

    user_id: int
    case_id: int | None
    kind: str
    message: str
    key: str

    @property
    def dedupe_key(self) -> str:
        return f"{self.key}:u{self.user_id}"


def _user_id(user) -> int:
    return user if isinstance(user, int) else user.pk


def notify(*, users: Iterable, case: Case | None, kind: str, message: str, key: str) -> int:
    """Put ``message`` in the inbox of each of ``users`` (users or ids) about ``case``.

    ``key`` names the occasion (e.g. ``"reminder:<case>:<version>"``); a user already
    notified under it gets nothing more. Emails are queued after commit for new rows whose
    user has an address. Returns the number of new rows.
    """
    case_id = case.pk if case is not None else None
    drafts = [Draft(_user_id(u), case_id, kind, message, key) for u in users]
    return notify_many(drafts)


def notify_many(drafts: Iterable[Draft]) -> int:
    """Store many drafts in at most five queries, whatever their number; see ``notify``. The
    new rows replace their users' open to-do notices about the same cases (marked done)."""
    by_key = {d.dedupe_key: d for d in drafts}
    if not by_key:
        return 0
    taken = set(
        Notification.objects.filter(dedupe_key__in=list(by_key)).values_list(
            "dedupe_key", flat=True
        )
    )
    new = [d for k, d in by_key.items() if k not in taken]
    if not new:
        return 0
    # ignore_conflicts: a concurrent sender that stored the same key first wins quietly.
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=d.user_id,
                case_id=d.case_id,
                kind=d.kind,
                message=d.message,
                dedupe_key=d.dedupe_key,
            )
            for d in new
        ],
        ignore_conflicts=True,
    )
    _supersede(new)
    to_email = list(
        Notification.objects.filter(
            dedupe_key__in=[d.dedupe_key for d in new], emailed_at__isnull=True
        )
        .exclude(user__email="")
        .values_list("pk", flat=True)
    )
    outbox.record_emails(to_email)
    return len(new)


def _supersede(new: list[Draft]) -> None:
    """One open notice per user and case: the older open ones give way to the new. Candidates
    are read by case and user, then matched by pair here (an OR per pair would grow with the
    batch past what SQLite parses)."""
    pairs = {(d.user_id, d.case_id) for d in new if d.case_id is not None}
    if not pairs:
        return
    older = (
        Notification.objects.filter(
            case_id__in={c for _u, c in pairs},
            user_id__in={u for u, _c in pairs},
            done_at__isnull=True,
            kind__in=TO_DO_KINDS,
        )
        .exclude(dedupe_key__in=[d.dedupe_key for d in new])
        .values_list("pk", "user_id", "case_id")
    )
    stale = [pk for pk, user_id, case_id in older if (user_id, case_id) in pairs]
    if stale:
        Notification.objects.filter(pk__in=stale).update(done_at=timezone.now())


def settle_case_notices(*, case_id: int, now) -> int:
    """A step was taken on the case: every open to-do notice about it, whoever it went to,
    is done (the next step's notice is delivered from the outbox). Returns the number settled."""
    return Notification.objects.filter(
        case_id=case_id, done_at__isnull=True, kind__in=TO_DO_KINDS
    ).update(done_at=now)


def send_email_for(notification_id: int) -> bool:
    """Email one notification to its user, once. Returns whether an email was sent.

    The row is claimed (``emailed_at`` set) before sending, so two deliveries of the task
    never both send; if sending fails the claim is released and the error re-raised (the
    task retries). A row already emailed, gone, or whose user has no address is skipped.
    """
    notification = (
        Notification.objects.select_related("user", "case").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at or not notification.user.email:
        return False
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    subject = _("[GridGov] %(kind)s") % {"kind": notification.get_kind_display()}
    if notification.case is not None:
        subject = f"{subject} {notification.case.number}"
    try:
        mail.send_keyed(
            key=f"notification-{notification_id}",
            subject=subject,
            body=notification.message,
            to=notification.user.email,
        )
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True


# --- who must act -----------------------------------------------------------------------------


class Recipients:
    """The people around a set of cases, loaded in one query: street staff per street,
    handlers per department (the cases' own, and ``departments``: co-departments, summoned
    ones), district admins per district (active assignments, active users). Cases must have
    ``street`` loaded (for its ``district_id``)."""

    def __init__(self, cases: Iterable[Case], *, departments: Iterable[int] = ()) -> None:
        cases = list(cases)
        self.staff: dict[int, set[int]] = defaultdict(set)
        self.handlers: dict[int, set[int]] = defaultdict(set)
        self.admins: dict[int, set[int]] = defaultdict(set)
        if not cases:
            return
        streets = {c.street_id for c in cases}
        departments = {c.department_id for c in cases if c.department_id} | set(departments)
        districts = {c.street.district_id for c in cases}
        rows = (
            Assignment.objects.active()
            .filter(
                Q(role=Role.STREET_STAFF, street_id__in=streets)
                | Q(role=Role.HANDLER, department_id__in=departments)
                | Q(role=Role.DISTRICT_ADMIN, district_id__in=districts),
                user__is_active=True,
            )
            .values_list("role", "street_id", "department_id", "district_id", "user_id")
        )
        for role, street, department, district, user in rows:
            if role == Role.STREET_STAFF:
                self.staff[street].add(user)
            elif role == Role.HANDLER:
                self.handlers[department].add(user)
            else:
                self.admins[district].add(user)

    def street_staff(self, case: Case) -> set[int]:
        return set(self.staff.get(case.street_id, ()))

    def department_handlers(self, department_id: int) -> set[int]:
        return set(self.handlers.get(department_id, ()))

    def case_handlers(self, case: Case) -> set[int]:
        """The named handler, else every handler of the case's department."""
        if case.handler_id:
            return {case.handler_id}
        return self.department_handlers(case.department_id)

    def district_admins(self, case: Case) -> set[int]:
        return set(self.admins.get(case.street.district_id, ()))

    def actors(self, case: Case) -> set[int]:
        """Who must move the case on in its current state (nobody while suspended): a case
        returned twice waits for the district admins' binding assignment (指定承办)."""
        if case.awaiting_binding:
            return self.district_admins(case)
        if case.status in (S.COLLECTED, S.ACCEPTED):
            return self.street_staff(case)
        if case.status in (S.DISPATCHED, S.HANDLING):
            return self.case_handlers(case)
        if case.status == S.FEEDBACK:
            return {case.verifier_id} if case.verifier_id else set()
        return set()


def _load_case(case_id: int) -> Case | None:
    return Case.objects.select_related("street", "duplicate_of").filter(pk=case_id).first()


def next_actors(
    case: Case, action: str, recipients: Recipients | None = None, *, step: int | None = None
) -> set[int]:
    """Who must act after ``action`` (the case's event ``step``, by default its latest)
    brought ``case`` to its current state."""
    recipients = recipients or Recipients([case])
    joint = joint_next_actors(case, action, recipients, step=step or case.version)
    if joint is not None:
        return joint
    if action == "request_reopen":  # a resident says it is not fixed: staff decide
        return recipients.street_staff(case)
    if case.status in (S.CLOSED, S.REJECTED):
        return {case.reporter_id} if case.reporter_id else set()
    if case.status == S.HANDLING:
        if action == "request_extension":
            return recipients.street_staff(case)  # they approve it
        if action not in _HANDLER_ACTIONS_IN_HANDLING:
            return set()
    return recipients.actors(case)


def _action_message(case: Case, action: str, step: int) -> str:
    params = {"number": case.number, "title": case.title}
    joint = joint_message(case, action)
    if joint is not None:
        return joint
    if action == "refuse_extension":
        event = case.events.filter(seq=step).only("note").first()
        params["reason"] = event.note if event else ""
        return (
            _("Case %(number)s “%(title)s”: your extension request was refused: %(reason)s")
            % params
        )
    messages = {
        S.COLLECTED: _("New case %(number)s “%(title)s” awaits acceptance."),
        S.ACCEPTED: _("Case %(number)s “%(title)s” awaits dispatch."),
        S.DISPATCHED: _("Case %(number)s “%(title)s” was dispatched to you: please handle it."),
        S.HANDLING: _("Case %(number)s “%(title)s” is yours to handle."),
        S.FEEDBACK: _("Case %(number)s “%(title)s” awaits your on-site verification."),
        S.CLOSED: _("Case %(number)s “%(title)s” you reported is closed."),
        S.REJECTED: _("Case %(number)s “%(title)s” you reported was not accepted."),
    }
    if action == "merge" and case.duplicate_of_id:
        params["target"] = case.duplicate_of.number
        return (
            _(
                "Case %(number)s “%(title)s” you reported is the same problem as case "
                "%(target)s and joined it: follow that case for its progress."
            )
            % params
        )
    if action == "request_reopen":
        return _("Case %(number)s “%(title)s”: the resident says it is not fixed.") % params
    if action == "reopen":
        return (
            _(
                "Case %(number)s “%(title)s” was reopened at the resident's request: please "
                "handle it again."
            )
            % params
        )
    if case.awaiting_binding:
        return (
            _(
                "Case %(number)s “%(title)s” was returned twice: make a binding assignment "
                "(指定承办) to the department that must handle it."
            )
            % params
        )
    if action == "assign_binding":
        return (
            _(
                "Case %(number)s “%(title)s” was assigned to your department by the district "
                "(指定承办): please handle it; it cannot be returned."
            )
            % params
        )
    if case.status == S.HANDLING and action == "request_extension":
        return _("Case %(number)s “%(title)s”: the handler asks for an extension.") % params
    return messages.get(case.status, _("Case %(number)s “%(title)s” changed.")) % params


def notify_next_actor(case_id: int, action: str, version: int) -> int:
    """After ``action`` (a transition, or ``"create"`` at intake), the case's event
    ``version``: an ACTION_NEEDED notification to whoever must act next. Skipped if a later
    step moved the case on (``workflows.steps``): that step notifies for itself.
    Returns the number of new notifications."""
    case = _load_case(case_id)
    if case is None or steps.moved_on([case_id], since=version):
        return 0
    return notify_many(next_actor_drafts(case, action, Recipients([case]), step=version))


def next_actor_drafts(case: Case, action: str, recipients: Recipients, *, step: int) -> list[Draft]:
    """The ACTION_NEEDED drafts ``notify_next_actor`` stores for a loaded case (``street``
    loaded) after ``action``, its event ``step``, with the people around it already read: a
    batch builds its drafts with one ``Recipients`` and stores them with one
    ``notify_many``."""
    message = _action_message(case, action, step)
    key = f"action:{case.pk}:{step}"
    return [
        Draft(user, case.pk, NotificationKind.ACTION_NEEDED, message, key)
        for user in sorted(next_actors(case, action, recipients, step=step))
    ]


def inbox(user):
    """The user's own notifications, newest first, with their cases."""
    return (
        Notification.objects.filter(user=user).select_related("case").order_by("-created_at", "-id")
    )


def unread_count(user) -> int:
    """Notices the user has neither read nor seen done (the header's badge)."""
    return Notification.objects.filter(
        user=user, read_at__isnull=True, done_at__isnull=True
    ).count()


@dataclass
class CaseThread:
    """The inbox's notices about one case (or about no case), newest first."""

    case: Case | None
    notices: list[Notification]

    @property
    def latest(self) -> Notification:
        return self.notices[0]

    @property
    def earlier(self) -> list[Notification]:
        return self.notices[1:]

    @property
    def is_new(self) -> bool:
        return any(n.is_new for n in self.notices)


def inbox_by_case(user, *, limit: int) -> list[CaseThread]:
    """The user's latest ``limit`` notices grouped by case, the case with the newest notice
    first; notices about no case each stand alone. One query."""
    threads: dict[object, CaseThread] = {}
    for notice in inbox(user)[:limit]:
        key = notice.case_id if notice.case_id is not None else f"n{notice.pk}"
        threads.setdefault(key, CaseThread(notice.case, [])).notices.append(notice)
    return list(threads.values())


def mark_all_read(*, user) -> int:
    """Mark every unread notice of the user read. Returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_case_read(*, user, case_id: int) -> int:
    """The user opened the case: their notices about it are read."""
    return Notification.objects.filter(user=user, case_id=case_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read; the first read time is kept. Another
    user's notification is ``Notification.DoesNotExist`` (an interface answers 404)."""
    notification = inbox(user).get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
