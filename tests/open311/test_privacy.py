"""No Open311 answer carries a staff name, a resident's contact, a note or any text someone
typed, a non-public category or an exact location (the public rules of /public/map/)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, Category

from ..cases.personas import act, new_case
from .conftest import KEY, as_json, get, post

pytestmark = pytest.mark.django_db

EXACT = (116.405123, 39.905178)  # inside cell A
SECRETS = [
    "王小明",  # the resident's name
    "13912345678",
    "wang@example.cn",
    "东门踩空",  # their words
    "幸福路1号东门",  # their address, typed
    "已补装井盖",  # the department's result note
    "现场核查合格",  # the verifier's note
    "李处置",  # staff display names
    "赵街道",
    "周网格",
    "独居老人",  # a non-public category's case text
    "S0101",
    str(EXACT[0]),
    str(EXACT[1]),
]


def _everything(numbers: list[str], token: str) -> str:
    paths = ["discovery", "services", "services/C0101", "requests", f"tokens/{token}"]
    paths += [f"requests/{number}" for number in numbers]
    bodies = []
    for path in paths:
        for fmt in ("json", "xml"):
            response = get(f"{path}.{fmt}")
            assert response.status_code in (200, 404), (path, response.status_code)
            bodies.append(response.content.decode())
    return "\n".join(bodies)


def test_no_answer_names_a_person_a_note_a_private_category_or_an_exact_place(cast, app_client):
    User = get_user_model()
    for username, name in (("handler", "李处置"), ("staff1", "赵街道"), ("worker_a", "周网格")):
        User.objects.filter(username=username).update(display_name=name)
    (filed,) = as_json(
        post(
            api_key=KEY,
            service_code="C0101",
            lat=EXACT[1],
            long=EXACT[0],
            description="东门踩空，井盖松动",
            address_string="幸福路1号东门",
            first_name="小明",
            last_name="王",
            phone="13912345678",
            email="wang@example.cn",
        )
    )
    case = Case.objects.get(number=filed["service_request_id"])
    for action in ("accept", "dispatch", "start", "report", "verify_pass"):
        case = act(cast, action, case)
    private = new_case(cast, category_code="S0101")
    Case.objects.filter(pk=private.pk).update(description="独居老人张大爷需要关爱")
    body = _everything([case.number, private.number], filed["token"])
    assert case.number in body and "<lat>" in body  # the case is shown …
    for secret in SECRETS:  # … without any of these
        assert secret not in body, secret
    (item,) = as_json(get(f"requests/{case.number}.json"))
    assert (item["long"], item["lat"]) != EXACT
    assert Category.objects.get(code="S0101").name not in body


def test_requests_take_the_same_queries_for_few_and_many_cases(cast, settings):
    settings.GRID_INDEX_RECHECK_SECONDS = 3600  # the cell index's periodic check stays out

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert get("requests.json").status_code == 200
            assert get("requests.xml").status_code == 200
        return len(ctx)

    act(cast, "dispatch", act(cast, "accept", new_case(cast)))
    few = queries()
    for _ in range(8):
        act(cast, "dispatch", act(cast, "accept", new_case(cast)))
    assert len(as_json(get("requests.json"))) == 9
    assert queries() == few
    # Per format: the cases, then their categories' and departments' names.
    assert few == 6
