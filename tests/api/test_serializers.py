"""The case serializers build the fields DRF would, though they work them out once per class,
and each instance's fields are its own."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import translation
from rest_framework import serializers

from cases.api import serializers as s
from cases.models import Case
from workflows.transitions import Actor

from ..cases.personas import new_case


@pytest.mark.parametrize("serializer_class", [s.CaseSerializer, s.CaseDetailSerializer])
def test_remembered_fields_are_the_fields_drf_builds(serializer_class):
    fresh = type(
        "Fresh", (serializer_class,), {"get_fields": serializers.ModelSerializer.get_fields}
    )
    for _ in range(2):  # the second time from what the first remembered
        assert repr(serializer_class().fields) == repr(fresh().fields)


@pytest.mark.django_db
def test_two_serializers_alive_at_once_render_with_their_own_context(cast):
    """Fields bound to the later instance must not answer for the earlier one: each
    instance's ``allowed_actions`` reads its own actor."""
    case = Case.objects.select_related("category", "cell", "street").get(pk=new_case(cast).pk)

    def serializer(user):
        context = {"request": SimpleNamespace(user=user), "actor": Actor.of(user)}
        return s.CaseDetailSerializer(case, context=context)

    staff, handler = serializer(cast.staff), serializer(cast.handler)
    assert staff.fields["allowed_actions"] is not handler.fields["allowed_actions"]
    assert staff.fields["photos"].child.root is staff
    assert "accept" in staff.data["allowed_actions"]
    assert "accept" not in handler.data["allowed_actions"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_status_label_is_the_models_own_in_the_request_language(cast, language):
    case = Case.objects.select_related("category", "cell", "street").get(pk=new_case(cast).pk)
    context = {"request": SimpleNamespace(user=cast.staff), "actor": Actor.of(cast.staff)}
    with translation.override(language):
        label = s.CaseSerializer(case, context=context).data["status_display"]
        assert label == case.get_status_display()
    assert ("collected" in label) == (language == "en")
