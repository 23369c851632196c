"""GridGov's URLs plus a bare DRF create endpoint of the same Case model: the baseline of the
intake benchmark (no scope check, no point lookup, no event, no routing, no deadline)."""

from __future__ import annotations

import uuid

from django.urls import path
from django.utils import timezone
from rest_framework import generics, serializers

from cases.models import Case
from gridgov.urls import urlpatterns as gridgov_urlpatterns


class BareCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["id", "title", "description", "category", "lon", "lat", "cell", "street"]


class BareCaseCreate(generics.CreateAPIView):
    serializer_class = BareCaseSerializer

    def perform_create(self, serializer) -> None:
        serializer.save(
            number=f"BARE-{uuid.uuid4().hex[:20]}",
            priority="normal",
            reporter=self.request.user,
            step_started_at=timezone.now(),
        )


urlpatterns = [path("bench/bare-cases/", BareCaseCreate.as_view()), *gridgov_urlpatterns]
