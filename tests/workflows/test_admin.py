"""The calendar admin lists days by year and switches the active schedule through the service."""

from __future__ import annotations

import pytest

from workflows.models import CalendarDay, WorkSchedule

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_calendar_days_filter_by_year_and_kind(admin_client):
    CalendarDay.objects.create(date="2027-01-01", kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    response = admin_client.get(
        "/admin/workflows/calendarday/", {"year": "2026", "kind": "workday"}
    )
    assert response.status_code == 200
    shown = list(response.context["cl"].queryset.values_list("date", flat=True))
    assert [d.isoformat() for d in shown] == [
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
    ]  # fmt: skip
    response = admin_client.get("/admin/workflows/calendarday/", {"q": "元旦"})
    assert response.context["cl"].result_count == 5  # Jan 1–3, make-up Jan 4, and 2027-01-01


def test_make_active_action_switches_the_schedule(admin_client):
    spare = WorkSchedule.objects.create(name="spare")
    response = admin_client.post(
        "/admin/workflows/workschedule/",
        {"action": "make_active", "_selected_action": [spare.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert list(WorkSchedule.objects.filter(is_active=True)) == [spare]


def test_a_second_active_schedule_is_refused_in_the_form(admin_client):
    response = admin_client.post(
        "/admin/workflows/workschedule/add/",
        {
            "name": "second",
            "morning_start": "09:00",
            "morning_end": "12:00",
            "afternoon_start": "13:30",
            "afternoon_end": "17:30",
            "weekend_days": "6,7",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "is_active" in response.context["adminform"].form.errors
    assert WorkSchedule.objects.count() == 1
