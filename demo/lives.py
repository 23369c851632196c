"""One demo case's life, as a story for the ``timeline``: filed, then walked along the loop
through the real services — each step by the person whose step it is, at a moment set by
the department's behaviour (``cast``) and the step's own deadline (``due_at``, which the
services computed on the working calendar). Early steps land a quarter of the way to the
deadline; late ones at 1.6 × the step's span, after the SLA scanner has marked them overdue.

A ``fresh`` case is one still open today: its steps come minutes apart within the last hour,
so only the departments that leave cases lying have old open cases on the overdue board.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from assessment.services import rate_by_resident, record_callback
from cases.demo import DESCRIPTIONS, _Cast
from cases.models import Case, CaseSource, Category
from cases.photos.capture import Capture
from cases.services import ReporterContact, create_case
from grids.models import Department
from workflows import services

from .cast import REDIRECT_TO
from .photos import PhotoStudio
from .timeline import SCAN_EVERY, Story

EARLY = 0.25
LATE = 1.6
REJECT_REASON = "不属于网格事项，已告知居民向物业反映。"
RETURN_REASON = "不属于本单位职责，请街道重新派遣。"


@dataclass
class Plan:
    """What happens to one case: where, what, how far it gets and who handles it."""

    cell: object
    category: Category
    target: str
    lon: float
    lat: float
    title: str
    description: str
    kind: str = ""  # the handling department's kind ("" until one is needed)
    n: int = 0  # the how-many-th case of its department (or of no department)
    letter: str = "."  # how its department finishes it (``cast.Behaviour.pattern``)
    fresh: bool = False
    source: str = CaseSource.PATROL
    contact: ReporterContact | None = None
    rating: int = 0  # the resident's score once closed (0: none)
    callback: int = 0  # street staff's phone callback score once closed (0: none)
    reuse_photo: bool = False  # the staged reuse of a photo (integrity flag)
    quick_verify: bool = False  # verified minutes after the report (integrity flag)
    tracking_code: str = field(default="", init=False)


@dataclass
class Stage:
    """What every story shares: the people, the departments, the photos, the dice."""

    cast: _Cast
    studio: PhotoStudio
    rng: random.Random
    admin: object
    departments: dict[str, Department]

    def early(self, case: Case, plan: Plan) -> datetime:
        now = timezone.now()
        if plan.fresh:
            return now + timedelta(minutes=self.rng.randint(2, 6))
        due = case.due_at
        if due is None or due <= now:
            return now + timedelta(minutes=self.rng.randint(10, 40))
        return now + max((due - now) * EARLY, timedelta(minutes=12))

    def late(self, case: Case) -> datetime:
        """Past the deadline by 60 % of the step's span, and by at least one scan."""
        start, due = case.step_started_at, case.due_at
        past = max((due - start) * (LATE - 1), SCAN_EVERY)
        return due + past + timedelta(minutes=self.rng.randint(5, 90))

    def captured(self, plan: Plan) -> ContentFile:
        """A report's photo with what a phone sends with it (``cases.photos.capture``): a fix
        a few metres from the case, taken a minute or two before; one in fifteen taken 600 m
        away (marked far on the case page), one in twenty from a phone whose clock runs 12
        minutes fast."""
        rng, file = self.rng, self.studio.photo()
        far = rng.random() < 1 / 15
        file.capture = Capture(
            taken_at=timezone.now() - timedelta(seconds=rng.randint(30, 150)),
            lon=round(plan.lon + (0.007 if far else rng.uniform(-0.0001, 0.0001)), 6),
            lat=round(plan.lat + rng.uniform(-0.0001, 0.0001), 6),
            accuracy_m=rng.randint(4, 30),
            clock_skew_s=720 if rng.random() < 1 / 20 else rng.randint(-20, 20),
        )
        return file

    def photos(self, required: bool) -> list:
        """A new photo where the category asks for one."""
        return [self.studio.photo()] if required else []


def case_life(stage: Stage, plan: Plan) -> Story:
    """File the case now and walk it to ``plan.target``; then the ratings it gets."""
    cast = stage.cast
    hotline = plan.source == CaseSource.HOTLINE
    if hotline:
        by = cast.staff[plan.cell.community.street_id]
    elif plan.source in (CaseSource.RESIDENT, CaseSource.OPEN311):
        by = None  # no account: the portal's (and Open311's) intake
    else:
        by = cast.reporter[plan.cell.pk]
    case = create_case(
        by=by,
        source=plan.source,
        contact=plan.contact,
        title=plan.title,
        description=plan.description,
        category_code=plan.category.code,
        lon=plan.lon,
        lat=plan.lat,
        photos=[] if hotline or plan.category.family == "S" else [stage.captured(plan)],
    )
    plan.tracking_code = case.tracking_code
    case = yield from _walk(stage, case, plan)
    if case is None or case.status != "closed":
        return
    if plan.rating:
        yield timezone.now() + timedelta(hours=stage.rng.randint(2, 30))
        rate_by_resident(tracking_code=case.tracking_code, score=plan.rating)
    if plan.callback:
        yield timezone.now() + timedelta(hours=stage.rng.randint(20, 60))
        staff = cast.staff[case.street_id]
        record_callback(case_id=case.pk, by=staff, score=plan.callback, comment="电话回访")


def _walk(stage: Stage, case: Case, plan: Plan):
    """Move a fresh case along the loop to ``plan.target``; returns the case at the end."""
    staff = stage.cast.staff[case.street_id]
    target = plan.target
    if target == "collected":
        return case
    yield stage.early(case, plan)
    if target == "rejected":
        return services.reject_case(case_id=case.pk, by=staff, reason=REJECT_REASON)
    if target == "merged":
        return _merge(case, staff)
    if target == "self_resolved":
        case = services.self_resolve_case(
            case_id=case.pk,
            by=case.reporter,
            note="现场已协调解决。",
            photos=stage.photos(case.category.requires_result_photo),
        )
        if plan.n % 2:  # the other half is never checked: an integrity flag to review
            yield stage.early(case, plan)
            case = _verify(stage, case)
        return case
    case = services.accept_case(case_id=case.pk, by=staff)
    if target == "accepted":
        return case
    yield stage.early(case, plan)
    if target.startswith("binding"):
        return (yield from _binding(stage, case, plan, staff))
    department = stage.departments[plan.kind]
    case = services.dispatch_case(case_id=case.pk, by=staff, department_id=department.pk)
    if plan.letter == "X":
        yield stage.early(case, plan)
        case = services.return_case(
            case_id=case.pk, by=stage.cast.handler[department.pk], reason=RETURN_REASON
        )
        yield stage.early(case, plan)
        department = stage.departments[REDIRECT_TO]
        plan.letter = "."  # 城管 finish it on time
        case = services.dispatch_case(case_id=case.pk, by=staff, department_id=department.pk)
    if target == "dispatched":
        return case
    return (yield from _handle(stage, case, plan, department))


def _handle(stage: Stage, case: Case, plan: Plan, department: Department):
    """From dispatched on: start, (extension, suspension), report, verify — and redo."""
    handler = stage.cast.handler[department.pk]
    staff = stage.cast.staff[case.street_id]
    target = plan.target
    yield stage.early(case, plan)
    case = services.start_case(case_id=case.pk, by=handler)
    if target == "handling":
        return case
    yield stage.early(case, plan)
    if target == "extension":
        return services.request_extension(
            case_id=case.pk,
            by=handler,
            reason="需协调多个产权单位。",
            due_at=case.due_at + timedelta(days=3),
        )
    if target.startswith("suspended"):
        days = 20 if target == "suspended_overdue" else stage.rng.randint(7, 60)
        case = services.suspend_case(
            case_id=case.pk,
            by=staff,
            reason="需等待专项资金审批。",
            review_at=timezone.now() + timedelta(days=days),
        )
        if target != "suspended_resumed":
            return case
        yield timezone.now() + timedelta(days=stage.rng.randint(2, 5))
        case = services.resume_case(case_id=case.pk, by=staff, note="资金已到位，恢复处置。")
        yield stage.early(case, plan)
    reworks = 1 if plan.letter == "R" or target == "reworked" else 0
    while True:
        if plan.letter in "LR" and not plan.fresh:
            yield stage.late(case)
        case = services.report_case(
            case_id=case.pk, by=handler, note="已处置完毕。", photos=_photos(stage, case, plan)
        )
        if target == "feedback":
            return case
        yield (
            case.reported_at + timedelta(minutes=3)
            if plan.quick_verify
            else stage.early(case, plan)
        )
        if not reworks:
            return _verify(stage, case)
        reworks -= 1
        case = services.verify_fail(case_id=case.pk, by=case.verifier, reason="现场复核仍未修复。")
        yield stage.early(case, plan)
        case = services.start_case(case_id=case.pk, by=handler)
        yield stage.early(case, plan)


def _binding(stage: Stage, case: Case, plan: Plan, staff):
    """Returned by two departments in turn: the district admins' to assign (指定承办). In
    ``binding_closed`` the admin binds it to 城管, who finish it; ``binding_queue`` waits."""
    for kind in ("residents_committee", "housing"):
        department = stage.departments[kind]
        case = services.dispatch_case(case_id=case.pk, by=staff, department_id=department.pk)
        yield stage.early(case, plan)
        case = services.return_case(
            case_id=case.pk, by=stage.cast.handler[department.pk], reason=RETURN_REASON
        )
        yield stage.early(case, plan)
    if plan.target == "binding_queue":
        return case
    department = stage.departments[REDIRECT_TO]
    case = services.assign_binding(
        case_id=case.pk, by=stage.admin, department_id=department.pk, note="由城管执法局承办。"
    )
    return (yield from _handle(stage, case, plan, department))


def _merge(case: Case, staff) -> Case:
    original = (
        Case.objects.filter(street_id=case.street_id, status="collected")
        .exclude(pk=case.pk)
        .order_by("pk")
        .first()
    )
    if original is None:
        return case
    return services.merge_case(
        case_id=case.pk, by=staff, duplicate_of_id=original.pk, note="与已上报案件重复。"
    )


def _photos(stage: Stage, case: Case, plan: Plan) -> list:
    if plan.reuse_photo:
        return [stage.studio.again()]
    return stage.photos(case.category.requires_result_photo)


def _verify(stage: Stage, case: Case) -> Case:
    return services.verify_pass(
        case_id=case.pk,
        by=case.verifier,
        note="现场核查，已解决。",
        photos=stage.photos(case.category.requires_verification_photo),
    )


def describe(category: Category, community: str, spot: str) -> tuple[str, str]:
    """A worker's title and description of a case."""
    return (
        f"{community}{spot}{category.name}",
        DESCRIPTIONS[category.family].format(spot=spot, name=category.name),
    )
