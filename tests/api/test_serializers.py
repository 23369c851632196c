"""The case serializers build the fields DRF would, though they work them out once per class."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from cases.api import serializers as s


@pytest.mark.parametrize("serializer_class", [s.CaseSerializer, s.CaseDetailSerializer])
def test_remembered_fields_are_the_fields_drf_builds(serializer_class):
    fresh = type(
        "Fresh", (serializer_class,), {"build_field": serializers.ModelSerializer.build_field}
    )
    for _ in range(2):  # the second time from what the first remembered
        assert repr(serializer_class().fields) == repr(fresh().fields)
