"""``/api/v1/care/``: volunteers' tasks for the phone (the same rules and the same
``VolunteerTaskView`` as the page: what to do, when, how to address the resident and the
building — no ID number, phone, full address or resident id)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import CareTask
from .selectors import volunteer_tasks, volunteer_view
from .services import CareConflict, take_task


class VolunteerTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    what = serializers.CharField()
    note = serializers.CharField()
    due_on = serializers.DateField()
    status = serializers.CharField()
    called = serializers.CharField(help_text="How to address the resident, e.g. 王奶奶")
    building = serializers.CharField(help_text="The building, without unit or door")
    community = serializers.CharField()
    mine = serializers.BooleanField(help_text="Taken by you")


class VolunteerTaskList(APIView):
    """Open volunteer tasks of your community (and those you took), soonest first."""

    @extend_schema(responses={200: VolunteerTaskSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(VolunteerTaskSerializer(volunteer_tasks(request.user), many=True).data)


class TakeVolunteerTask(APIView):
    """Take an open volunteer task: it becomes yours."""

    @extend_schema(
        request=None,
        responses={
            200: VolunteerTaskSerializer,
            404: OpenApiResponse(description="No such volunteer task in your community"),
            409: OpenApiResponse(description="Taken by another volunteer, or already done"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            take_task(task_id=pk, by=request.user)
        except CareTask.DoesNotExist:
            raise NotFound() from None
        except CareConflict as exc:
            return Response({"detail": str(exc)}, status=exc.http_status)
        return Response(VolunteerTaskSerializer(volunteer_view(request.user, pk)).data)
