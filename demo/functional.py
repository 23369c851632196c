"""The demo's functional worker (功能性网格员, issue 15): ``demo_functional``, 养老 (elderly care)
for the whole of demo_worker's community, with service cases to show on their home page —
two routed to them by specialty (one started), one of their own resolved on the spot, and one
a department handled that they verify — and the community's households to keep.

Made after the 90 days of history, which walk service cases through departments as they did
before functional workers received them.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import override_settings
from django.utils import timezone

from cases.demo import _point_in
from cases.models import Case
from cases.services import create_case
from grids.demo import DEMO_PASSWORD, chinese_name
from grids.models import Assignment, Department, DepartmentKind, GridCell, Role, Specialty
from workflows import routing, services

USERNAME = "demo_functional"
# (category, title, what the grid worker saw)
ROUTED = [
    (
        "S0101",
        "独居老人需要探访",
        "3号楼的独居老人近一周没有下楼，敲门无人应答，请养老网格员上门看看。",
    ),
    ("S0103", "老人想申请助餐服务", "6号楼一位八旬老人腿脚不便，想了解社区助餐服务怎么申请。"),
]


def create_functional_work(cell: GridCell, rng: random.Random) -> int:
    """``demo_functional`` serving ``cell``'s community, and their service cases. Returns the
    number of cases made."""
    User = get_user_model()
    worker = User.objects.create(
        username=USERNAME, password=make_password(DEMO_PASSWORD), display_name=chinese_name(rng)
    )
    Assignment.objects.create(
        user=worker,
        role=Role.FUNCTIONAL_WORKER,
        scope="community",
        community=cell.community,
        specialty=Specialty.objects.get(code="elderly_care"),
        valid_from=timezone.localdate() - timedelta(days=365),
    )
    reporter = User.objects.get(username="demo_worker")
    staff = User.objects.get(username="demo_staff")

    def file(by, code: str, title: str, text: str) -> Case:
        lon, lat = _point_in(cell, rng)
        return create_case(
            by=by, title=title, description=text, category_code=code, lon=lon, lat=lat
        )

    routed = []
    for code, title, text in ROUTED:
        case = services.accept_case(case_id=file(reporter, code, title, text).pk, by=staff)
        routing.route_case(case.pk)  # the outbox would: to demo_functional, by specialty
        routed.append(case)
    services.start_case(case_id=routed[0].pk, by=worker)
    own = file(
        worker, "S0102", "高龄老人探访", "走访中发现92岁老人家中暖气不热，已联系物业当场修好。"
    )
    services.self_resolve_case(case_id=own.pk, by=worker, note="已联系物业维修，老人家中恢复供暖。")
    # One a department handled: the functional worker who reported it verifies it.
    civil = Department.objects.get(kind=DepartmentKind.CIVIL_AFFAIRS)
    handler = Assignment.objects.filter(role=Role.HANDLER, department=civil).first().user
    case = file(worker, "S0103", "老人申请居家养老服务", "独居老人希望申请居家养老上门服务。")
    services.accept_case(case_id=case.pk, by=staff)
    services.dispatch_case(case_id=case.pk, by=staff, department_id=civil.pk)
    services.start_case(case_id=case.pk, by=handler)
    # No cross-cell draw for this one (CROSS_CHECK_SHARE 0, kept in the event's record): one
    # case in five would otherwise go to another cell's worker and the demo would not show it.
    with override_settings(CROSS_CHECK_SHARE=0):
        services.report_case(
            case_id=case.pk, by=handler, note="已为老人办理居家养老服务，每周上门两次。"
        )
    return len(ROUTED) + 2
