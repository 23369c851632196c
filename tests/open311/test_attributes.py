"""Service attributes: a service that needs more than a description says so (``metadata``),
its definition lists the questions in JSON and XML, and a POST's ``attribute[…]`` answers
are checked against them and reach street staff in the case's description."""

from __future__ import annotations

import pytest

from cases.models import Case, Category
from open311.demo import COVER_STATE
from open311.models import Datatype, ServiceAttribute

from ..cases.personas import POINT_A
from .conftest import KEY, as_json, error_list, get, post, xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(db):
    cover = Category.objects.get(code="C0101")
    return [
        ServiceAttribute.objects.create(
            category=cover,
            code="state",
            description="井盖状况",
            datatype=Datatype.SINGLE,
            required=True,
            values=COVER_STATE,
            order=1,
        ),
        ServiceAttribute.objects.create(
            category=cover,
            code="hazards",
            description="周边情况",
            datatype=Datatype.MULTI,
            values=[{"key": "school", "name": "学校门口"}, {"key": "night", "name": "无照明"}],
            order=2,
        ),
        ServiceAttribute.objects.create(
            category=cover, code="depth", description="深度(米)", datatype=Datatype.NUMBER, order=3
        ),
    ]


def test_services_with_questions_have_metadata_and_definitions_list_them(cast, questions):
    services = {s["service_code"]: s for s in as_json(get("services.json"))}
    assert services["C0101"]["metadata"] is True and services["C0102"]["metadata"] is False
    definition = as_json(get("services/C0101.json"))
    state, hazards, depth = definition["attributes"]
    assert state == {
        "variable": True,
        "code": "state",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "井盖状况",
        "values": COVER_STATE,
    }
    assert "values" not in depth and hazards["datatype"] == "multivaluelist"
    root = xml(get("services/C0101.xml"))
    first = root.find("attributes/attribute")
    assert first.findtext("code") == "state" and first.findtext("required") == "true"
    keys = [v.findtext("key") for v in first.find("values")]
    assert keys == ["missing", "broken", "shifted"]
    assert [a.findtext("code") for a in root.find("attributes")] == ["state", "hazards", "depth"]


def _body(**extra) -> dict:
    return {
        "api_key": KEY,
        "service_code": "C0101",
        "lat": POINT_A[1],
        "long": POINT_A[0],
        "description": "井盖有问题",
        **extra,
    }


def test_answers_reach_the_case_description(cast, app_client, questions):
    body = _body(**{"attribute[state]": "broken", "attribute[hazards][]": ["school", "night"]})
    body["attribute[depth]"] = "1.5"
    (item,) = as_json(post(**body))
    case = Case.objects.get(number=item["service_request_id"])
    assert (
        case.description == "井盖有问题\n井盖状况: 破损\n周边情况: 学校门口、无照明\n深度(米): 1.5"
    )


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "attribute[state]"),  # required
        ({"attribute[state]": "stolen"}, "attribute[state]"),
        ({"attribute[state]": "broken", "attribute[hazards][]": ["zoo"]}, "attribute[hazards]"),
        ({"attribute[state]": "broken", "attribute[depth]": "deep"}, "attribute[depth]"),
        ({"attribute[state]": "broken", "attribute[colour]": "red"}, "attribute[colour]"),
    ],
)
def test_bad_answers_are_400_naming_the_attribute(cast, app_client, questions, answers, field):
    for fmt in ("json", "xml"):
        messages = error_list(post(f"requests.{fmt}", **_body(**answers)), 400)
        assert any(m.startswith(f"{field}: ") for m in messages), messages
    assert not Case.objects.exists()


def test_a_list_attribute_needs_well_formed_choices(db):
    from django.core.exceptions import ValidationError

    attribute = ServiceAttribute(
        category=Category.objects.get(code="C0101"),
        code="state",
        description="井盖状况",
        datatype=Datatype.SINGLE,
        values=["missing"],
    )
    with pytest.raises(ValidationError):
        attribute.full_clean()
    attribute.values = COVER_STATE
    attribute.full_clean()
