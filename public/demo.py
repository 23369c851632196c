"""Residents in the demo (``seed_demo --scale small``): reports from the portal and the
hotline walked through the real services, residents' ratings, a reopen request waiting for
street staff and one declined, "me too" supporters, published photos and grid-survey answers
— so every resident-facing page and figure has something to show."""

from __future__ import annotations

import random
from collections.abc import Sequence

from assessment.services import answer_survey, rate_by_resident
from cases.demo import SPOTS, _Cast, _point_in, _walk, photo
from cases.models import Case, CaseSource, CaseStatus, Category
from cases.services import ReporterContact, create_case, set_photo_public, support_case
from grids.models import GridCell
from residents.crypto import pii_hash
from workflows import services

# Where resident reports end up, with weights (no self-resolve: only workers fix on the spot).
TARGETS = [
    ("collected", 6),
    ("rejected", 2),
    ("merged", 1),
    ("dispatched", 3),
    ("handling", 3),
    ("feedback", 2),
    ("closed", 12),
]
PHRASES = [
    "{spot}的{name}有问题，麻烦尽快处理，谢谢！",
    "我家楼下{spot}{name}好几天了，影响出行。",
    "{spot}发现{name}，老人孩子经过很危险。",
]
SURNAMES = "王李张刘陈杨赵黄周吴"
# Mostly satisfied, some not: enough ratings per unit for 满意率 to show (≥ 5).
SCORES = [5, 5, 5, 4, 4, 4, 3, 2]


def create_resident_demo(cells: Sequence[GridCell], *, count: int, rng: random.Random) -> dict:
    """Resident and hotline cases in ``cells`` and what residents do with them. Returns
    counts of what was made, and one tracking code to try."""
    cast = _Cast.load()
    categories = list(Category.objects.fileable().filter(public=True))
    targets, weights = zip(*TARGETS, strict=True)
    made: list[Case] = []
    for n in range(count):
        cell = rng.choice(cells)
        category = rng.choice(categories)
        lon, lat = _point_in(cell, rng)
        hotline = n % 5 == 4  # every fifth came in by phone
        open311 = n % 5 == 3  # and one in five through an Open311 app (same intake)
        contact = ReporterContact(
            name=f"{rng.choice(SURNAMES)}{'先生' if n % 2 else '女士'}",
            phone=f"139{rng.randrange(10**8):08d}",
        )
        text = rng.choice(PHRASES).format(spot=rng.choice(SPOTS), name=category.name)
        case = create_case(
            by=cast.staff[cell.community.street_id] if hotline else None,
            source=CaseSource.HOTLINE
            if hotline
            else (CaseSource.OPEN311 if open311 else CaseSource.RESIDENT),
            contact=contact,
            title=text[:20],
            description=text,
            category_code=category.code,
            lon=lon,
            lat=lat,
            photos=[] if hotline else [photo()],
        )
        _walk(case, rng.choices(targets, weights)[0], cast, rng)
        made.append(case)
    closed = [c for c in _fresh(made) if c.status == CaseStatus.CLOSED]
    for case in closed[2:]:
        rate_by_resident(tracking_code=case.tracking_code, score=rng.choice(SCORES))
    if len(closed) >= 2:  # one waits in street staff's approvals, one was declined
        services.request_reopen(tracking_code=closed[0].tracking_code, reason="井盖又松了，还是晃")
        services.request_reopen(tracking_code=closed[1].tracking_code, reason="只清了一半")
        staff = cast.staff[closed[1].street_id]
        services.decline_reopen(
            case_id=closed[1].pk,
            by=staff,
            reason="已复查，剩余部分属于施工单位围挡内，已通知其清理。",
        )
    open_cases = [c for c in _fresh(made) if c.is_open]
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
    answers = _survey_answers(cells, rng)
    return {
        "cases": len(made),
        "ratings": max(0, len(closed) - 2),
        "answers": answers,
        "try_code": next((c.tracking_code for c in _fresh(made) if c.is_open), ""),
    }


def _fresh(cases: list[Case]) -> list[Case]:
    return list(Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("pk"))


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
