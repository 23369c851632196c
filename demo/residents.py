"""Residents in the demo's history: reports from the portal, Open311 apps and the hotline (on 城管's
public categories, so one unit has enough residents' ratings for 满意率), rated once closed;
then, today, a reopen request waiting for street staff and one declined, "me too"
supporters, published photos and grid-survey answers — so every resident-facing page and
figure has something to show."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from assessment.services import answer_survey
from cases.demo import SPOTS, _Cast, _point_in
from cases.models import OPEN_STATUSES, Case, CaseSource, CaseStatus, Category
from cases.services import ReporterContact, set_photo_public, support_case
from grids.models import GridCell
from residents.crypto import pii_hash
from workflows import services

from .lives import Plan

# Where resident reports end up, with weights (no self-resolve: only workers fix on the spot).
TARGETS = [
    ("collected", 4),
    ("rejected", 2),
    ("merged", 1),
    ("dispatched", 2),
    ("handling", 2),
    ("feedback", 2),
    ("closed", 20),
]
PHRASES = [
    "{spot}的{name}有问题，麻烦尽快处理，谢谢！",
    "我家楼下{spot}{name}好几天了，影响出行。",
    "{spot}发现{name}，老人孩子经过很危险。",
]
SURNAMES = "王李张刘陈杨赵黄周吴"
# Survey answers: mostly satisfied, some not.
SCORES = [5, 5, 5, 4, 4, 4, 3, 2]
# Residents' ratings of 城管's work, which is on time: nine in ten satisfied.
RATINGS = [5, 5, 4, 5, 4, 5, 5, 4, 3, 5]
# One in five came in by phone, one in five through an Open311 app (the same intake).
SOURCES = [*[CaseSource.RESIDENT] * 3, CaseSource.OPEN311, CaseSource.HOTLINE]
FRESH = {"collected", "dispatched", "handling", "feedback", "merged"}


def resident_plans(
    cells: Sequence[GridCell], *, count: int, rng: random.Random, now: datetime
) -> list[tuple[datetime, Plan]]:
    """``count`` residents' and hotline reports over the last 90 days (open ones: today)."""
    categories = list(
        Category.objects.fileable().filter(public=True, default_department_kind="urban_management")
    )
    targets, weights = zip(*TARGETS, strict=True)
    plans = []
    for n in range(count):
        cell = rng.choice(cells)
        category = rng.choice(categories)
        lon, lat = _point_in(cell, rng)
        text = rng.choice(PHRASES).format(spot=rng.choice(SPOTS), name=category.name)
        # The first two closed days ago: still open to a reopen request (``after_the_history``).
        target = "closed" if n < 2 else rng.choices(targets, weights)[0]
        fresh = target in FRESH
        plan = Plan(
            cell=cell,
            category=category,
            target=target,
            lon=lon,
            lat=lat,
            title=text[:20],
            description=text,
            kind="urban_management",
            n=n,
            fresh=fresh,
            source=SOURCES[n % len(SOURCES)],
            contact=ReporterContact(
                name=f"{rng.choice(SURNAMES)}{'先生' if n % 2 else '女士'}",
                phone=f"139{rng.randrange(10**8):08d}",
            ),
            rating=RATINGS[n % len(RATINGS)] if target == "closed" else 0,
        )
        if fresh:
            at = now - timedelta(minutes=rng.randint(25, 55))
        elif n < 2:
            at = now - timedelta(days=4, minutes=rng.randint(0, 600))
        else:
            at = now - timedelta(days=rng.randint(3, 88), minutes=rng.randint(0, 600))
        plans.append((at, plan))
    return plans


def after_the_history(cells: Sequence[GridCell], plans: list[Plan], rng: random.Random) -> dict:
    """Today's part: reopen requests on the two latest closed reports, supporters,
    published photos and a worker's note added ("add to it") on open ones, survey answers.
    Returns counts and a code to try."""
    cast = _Cast.load()
    made = Case.objects.filter(tracking_code__in=[p.tracking_code for p in plans])
    closed = list(made.filter(status=CaseStatus.CLOSED).order_by("-closed_at")[:2])
    if len(closed) == 2:  # one waits in street staff's approvals, one was declined
        services.request_reopen(tracking_code=closed[0].tracking_code, reason="井盖又松了，还是晃")
        services.request_reopen(tracking_code=closed[1].tracking_code, reason="只清了一半")
        services.decline_reopen(
            case_id=closed[1].pk,
            by=cast.staff[closed[1].street_id],
            reason="已复查，剩余部分属于施工单位围挡内，已通知其清理。",
        )
    open_cases = list(made.filter(status__in=OPEN_STATUSES).order_by("pk"))
    # "Already reported? add to it": the cell's worker found a resident's open report on
    # patrol and added a note to it instead of filing it again.
    for case in open_cases[:2]:
        worker = cast.reporter.get(case.cell_id)
        if worker is not None:
            services.add_to_case(case_id=case.pk, by=worker, note="巡查时也看到了，情况属实。")
    for case in open_cases[:8]:
        for k in range(rng.randint(1, 4)):
            support_case(case_id=case.pk, fingerprint=pii_hash(f"demo-device:{case.pk}:{k}"))
        report_photo = case.attachments.first()
        if report_photo is not None:
            set_photo_public(
                case_id=case.pk,
                attachment_id=report_photo.pk,
                by=cast.staff[case.street_id],
                public=True,
            )
    return {
        "resident_cases": len(plans),
        "ratings": made.filter(satisfaction__score__isnull=False).count(),
        "answers": _survey_answers(cells, rng),
        "try_code": open_cases[0].tracking_code if open_cases else "",
    }


def _survey_answers(cells: Sequence[GridCell], rng: random.Random) -> int:
    """Six to ten answers in each cell of the first community (the demo workers'), a few
    elsewhere: enough for 居民满意率 to show where the demo logins look."""
    first = cells[0].community_id
    made = 0
    for cell in cells:
        many = cell.community_id == first
        for n in range(rng.randint(6, 10) if many else rng.randint(0, 3)):
            answer_survey(
                cell_code=cell.full_code,
                score=rng.choice(SCORES),
                contact=ReporterContact(phone=f"138{cell.pk:04d}{n:04d}"),
            )
            made += 1
    return made
