"""Who may see and review integrity flags (DESIGN §6).

Flags are about workers, so only those who answer for a territory review them: street staff
for their street, district administrators for their district (a superuser, everything).
Nobody sees a flag about themself. Grid workers, volunteers and handlers see none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import Case
from cases.selectors import case_scope_q
from grids.models import Role
from grids.selectors import active_assignments, territory_q

from .models import FlagStatus, IntegrityFlag, Rule
from .precision import RECENT_DAYS, RulePrecision, summarise

REVIEWER_ROLES = frozenset({Role.STREET_STAFF, Role.DISTRICT_ADMIN})
_FLAG_LEVEL_PATH = {
    "cell": "case__cell_id",
    "community": "case__cell__community_id",
    "street": "case__street_id",
    "district": "case__street__district_id",
}
# A visit's flag belongs to the territory of the household visited.
_VISIT_FLAG_LEVEL_PATH = {
    "cell": "visit__household__cell_id",
    "community": "visit__household__cell__community_id",
    "street": "visit__household__cell__community__street_id",
    "district": "visit__household__cell__community__street__district_id",
}


def is_reviewer(user) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return active_assignments(user).filter(role__in=REVIEWER_ROLES).exists()


def flag_scope_q(user) -> Q:
    """A Q over ``IntegrityFlag`` keeping the flags ``user`` may review (one query)."""
    if getattr(user, "is_superuser", False):
        return Q()
    rows = (
        active_assignments(user)
        .filter(role__in=REVIEWER_ROLES)
        .values_list("scope", "district_id", "street_id", "community_id", "cell_id")
    )
    rows = list(rows)
    q = territory_q(rows, level_paths=_FLAG_LEVEL_PATH) | territory_q(
        rows, level_paths=_VISIT_FLAG_LEVEL_PATH
    )
    if getattr(user, "pk", None):
        q &= ~Q(subject_id=user.pk)
    return q


def flags_visible_to(user) -> QuerySet[IntegrityFlag]:
    """The flags ``user`` may review, with what the review page shows joined."""
    return (
        IntegrityFlag.objects.filter(flag_scope_q(user))
        .select_related(
            "case",
            "case__category",
            "case__street",
            "visit__household__cell",
            "subject",
            "reviewer",
        )
        .defer("case__street__geometry", "visit__household__cell__geometry")
    )


def get_flag_for(user, flag_id: int, *, for_update: bool = False) -> IntegrityFlag:
    """The flag ``flag_id`` if ``user`` may review it, else ``Http404``. ``for_update``
    locks the flag row only (call inside a transaction)."""
    if for_update:
        qs = IntegrityFlag.objects.filter(flag_scope_q(user)).select_for_update(of=("self",))
    else:
        qs = flags_visible_to(user)
    try:
        return qs.get(pk=flag_id)
    except IntegrityFlag.DoesNotExist:
        raise Http404("No flag matches the given query.") from None


def open_flag_counts(user) -> dict:
    """The open flags ``user`` may review: ``total``, ``by_rule`` (label, count) and
    ``by_worker`` (name, count), most first — two queries."""
    open_flags = IntegrityFlag.objects.filter(flag_scope_q(user), status=FlagStatus.OPEN)
    rules = dict(Rule.choices)
    by_rule = [
        (rules.get(row["rule"], row["rule"]), row["n"])
        for row in open_flags.values("rule").annotate(n=Count("id")).order_by("-n", "rule")
    ]
    by_worker = [
        (row["subject__display_name"] or row["subject__username"] or "—", row["n"])
        for row in open_flags.values("subject__username", "subject__display_name")
        .annotate(n=Count("id"))
        .order_by("-n", "subject__username")
    ]
    return {"total": sum(n for _label, n in by_rule), "by_rule": by_rule, "by_worker": by_worker}


def rule_precision(user, *, now: datetime | None = None) -> list[RulePrecision]:
    """Each rule's precision from the decisions on the flags ``user`` may review (all time
    and the last ``RECENT_DAYS``), its open flags and commonest dismissal reasons — one
    aggregate query whatever the number of rules or flags (plus ``flag_scope_q``'s)."""
    since = (now or timezone.now()) - timedelta(days=RECENT_DAYS)
    rows = (
        IntegrityFlag.objects.filter(flag_scope_q(user))
        .values("rule", "status", "dismiss_reason")
        .annotate(n=Count("id"), recent=Count("id", filter=Q(reviewed_at__gte=since)))
        .order_by()
    )
    return summarise(rows)


# --- what a reviewer may read of a flag's evidence ---------------------------------------


def seen_case_ids(user, flags: list[IntegrityFlag]) -> set[int]:
    """The earlier cases named by the near-duplicate flags that ``user`` may see (one query,
    none when no flag names one)."""
    named = {
        m.get("case_id")
        for flag in flags
        if flag.rule == Rule.NEAR_DUPLICATE
        for m in (flag.evidence or {}).get("matches", [])
    }
    named = sorted(i for i in named if isinstance(i, int))
    if not named:
        return set()
    return set(Case.objects.filter(case_scope_q(user), pk__in=named).values_list("pk", flat=True))


def evidence_shown(evidence: dict, seen: set[int]) -> dict:
    """``evidence`` without the titles of earlier cases the reviewer may not see: a
    near-duplicate can lie across a street's boundary, and judging it needs where and when
    that case was filed, not what another street was told."""
    matches = [
        m if m.get("case_id") in seen else {k: v for k, v in m.items() if k != "title"}
        for m in evidence.get("matches", [])
    ]
    return evidence | {"matches": matches} if matches else evidence
