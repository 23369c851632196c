"""``seed_demo --scale small``: 90 days of cases played through the real services on a
simulated clock (``timeline``), then the days rolled up for the assessment
(``assessment.rollups``) and the integrity rules run over them (``integrity.services``).

The plan is drawn first (all from ``rng``: the same seed gives the same demo), then played:
cases still open today were filed in the last hours, except where a department leaves them
lying (``cast``); a few staged stories show the rest — a case waiting for the district to
assign it after two returns, a suspension left past its review date, a suspension resumed,
a reused photo and a verification made minutes after the report.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from tqdm import tqdm

from assessment.rollups import roll_up_days
from cases.demo import SPOTS, _Cast, _point_in
from cases.models import CaseSource, Category, RoutingRule
from grids.models import Department, GridCell
from integrity.services import run_rules

from .cast import BEHAVIOURS, PROMPT, REDIRECT_TO, behaviour_of
from .lives import Plan, Stage, case_life, describe
from .photos import PhotoStudio
from .residents import after_the_history, resident_plans
from .timeline import Timeline

DAYS = 90
# Where each worker's case ends up, with weights: every state of the loop, closed most often.
TARGETS = [
    ("collected", 10),
    ("rejected", 5),
    ("merged", 3),
    ("accepted", 7),
    ("dispatched", 9),
    ("handling", 10),
    ("extension", 3),
    ("suspended", 3),
    ("feedback", 9),
    ("closed", 32),
    ("reworked", 5),
    ("self_resolved", 4),
]
# Targets that need a department, and of those the ones still open today.
HANDLED = {"dispatched", "handling", "extension", "suspended", "feedback", "closed", "reworked"}
OPEN_TODAY = {"dispatched", "handling", "extension", "suspended", "feedback"}
# Staged once each, on 城管's cases unless said otherwise.
STAGED = ["binding_queue", "binding_closed", "suspended_overdue", "suspended_resumed"]
CALLBACK_SCORES = [5, 5, 4, 5, 4, 5]
PROMPT_KINDS = sorted(k for k, b in BEHAVIOURS.items() if b is PROMPT)
SLOW_KINDS = {k for k, b in BEHAVIOURS.items() if set(b.pattern) & set("LRS")}


def play_history(
    cells: Sequence[GridCell],
    *,
    count: int,
    resident_count: int,
    rng: random.Random,
    seed: int,
    progress: bool = True,
) -> dict:
    """Play ``count`` workers' and ``resident_count`` residents' cases over the last ``DAYS``
    days, up to now. Returns what was made."""
    now = timezone.now()
    stage = Stage(
        cast=_Cast.load(),
        studio=PhotoStudio(seed),
        rng=rng,
        admin=get_user_model().objects.get(username="demo_admin"),
        departments={d.kind: d for d in Department.objects.filter(is_active=True)},
    )
    timeline = Timeline()
    plans = _worker_plans(cells, count=count, rng=rng, now=now)
    plans += resident_plans(cells, count=resident_count, rng=rng, now=now)
    for at, plan in plans:
        timeline.add(at, case_life(stage, plan))
    bar = tqdm(total=DAYS + 1, unit="day", disable=not progress, desc="history")
    first = min(at for at, _plan in plans)

    def advance(at: datetime) -> None:
        bar.update(max(0, (at - first).days - bar.n))

    timeline.run(until=now, progress=advance)
    bar.close()
    by_residents = [p for _at, p in plans if p.source != CaseSource.PATROL]
    residents = after_the_history(cells, by_residents, rng) if by_residents else {}
    return {
        "cases": len(plans),
        "steps": timeline.steps,
        "scans": timeline.scans,
        "photos": stage.studio.made,
        **residents,
    }


def wrap_up() -> dict:
    """What the nightly jobs would have done over those days: the assessment's rollups of
    every past day, and the integrity scan. Returns the days rolled up and the new flags."""
    today = timezone.localdate()
    days = roll_up_days(today - timedelta(days=DAYS + 1), today - timedelta(days=1))
    since = timezone.now() - timedelta(days=DAYS + 1)
    flags = sum(row["new"] for row in run_rules(since=since).values())
    return {"days": days, "flags": flags}


def _worker_plans(cells, *, count: int, rng: random.Random, now: datetime) -> list:
    categories = list(Category.objects.subcategories().active().select_related("parent"))
    routed = set(RoutingRule.objects.values_list("category_id", flat=True))
    by_kind: dict[str, list[Category]] = {}
    for category in categories:
        by_kind.setdefault(category.default_department_kind, []).append(category)
    kinds = [k for k in BEHAVIOURS if by_kind.get(k)]
    kind_weights = [BEHAVIOURS[k].weight for k in kinds]
    targets, weights = zip(*TARGETS, strict=True)
    drawn = [rng.choices(targets, weights)[0] for _ in range(count - len(STAGED))] + STAGED
    handled = Counter()
    plans = []
    for target in drawn:
        kind = ""
        if target == "reworked":  # redone once by a department that is otherwise on time
            kind = rng.choice(PROMPT_KINDS)
        elif target in HANDLED:
            kind = rng.choices(kinds, kind_weights)[0]
        elif target.startswith(("binding", "suspended_")):
            kind = "property_management" if target == "suspended_overdue" else REDIRECT_TO
        if target == "accepted":  # waits in the street's queue: no rule may route it
            pool = [c for c in categories if c.pk not in routed]
        else:
            pool = by_kind.get(kind, categories)
        category = rng.choice(pool)
        cell = rng.choice(cells)
        spot = rng.choice(SPOTS)
        lon, lat = _point_in(cell, rng)
        title, description = describe(category, cell.community.name, spot)
        handled[kind] += 1
        plan = Plan(
            cell=cell,
            category=category,
            target=target,
            lon=lon,
            lat=lat,
            title=title,
            description=description,
            kind=kind,
            n=handled[kind],
            fresh=target in OPEN_TODAY,
            callback=(
                rng.choice(CALLBACK_SCORES) if kind == REDIRECT_TO and handled[kind] % 3 == 0 else 0
            ),
        )
        plans.append((_start(plan, rng, now), plan))
    plans.sort(key=lambda item: item[0])
    _assign_letters([p for _at, p in plans])
    _stage_flags([p for _at, p in plans])
    return plans


def _assign_letters(plans: list[Plan]) -> None:
    """Each department's way of finishing, dealt in time order, so any stretch of days has
    its share of on-time, late and stuck cases (``cast.Behaviour.pattern``)."""
    finishing = Counter()
    for plan in plans:
        if plan.target not in ("closed", "reworked"):
            continue
        plan.letter = behaviour_of(plan.kind).letter(finishing[plan.kind])
        finishing[plan.kind] += 1
        if plan.letter == "S":
            plan.target = "handling" if finishing[plan.kind] % 2 else "dispatched"


def _stage_flags(plans: list[Plan]) -> None:
    """Two things the integrity rules are there to catch, each once: a handler's result
    photo that is the photo of another case, and a verification minutes after the report."""
    closed = [p for p in plans if p.target == "closed" and p.kind == "urban_management"]
    closed[len(closed) // 2].reuse_photo = True
    closed[len(closed) // 3].quick_verify = True


def _start(plan: Plan, rng: random.Random, now: datetime) -> datetime:
    """When the case is filed: within the hour if it is still open today (so that even an
    urgent case's calendar-hour limit has not run out: the overdue board is for the
    departments that leave cases lying), within two
    days for the street's queue, 40 days ago for the suspension left past review, else a
    working hour of the last ``DAYS`` days (a week ago at least for a slow department's)."""
    if plan.fresh:
        return now - timedelta(minutes=rng.randint(25, 55))
    if plan.target in ("collected", "accepted", "merged"):
        return now - timedelta(minutes=rng.randint(60, 48 * 60))
    if plan.target == "suspended_overdue":
        days_ago = 40
    else:  # a slow department's early enough to be finished by now (two late steps at most)
        days_ago = rng.randint(7 if plan.kind in SLOW_KINDS else 2, DAYS)
    day = timezone.localtime(now - timedelta(days=days_ago))
    return day.replace(hour=8, minute=30, second=0, microsecond=0) + timedelta(
        minutes=rng.randint(0, 8 * 60)
    )
