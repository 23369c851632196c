"""seed_demo --scale small tells 90 days: overdue and escalated cases, returns and a case in
the binding queue, suspensions (one past its review date), reworks, residents' ratings,
integrity flags, phone-sized photos, rolled-up days and a department in each grade A–E —
and the dashboard, its API and the overdue board show them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone

from assessment.models import CellRollup, RolledDay, Satisfaction
from cases.models import Attachment, Case, CaseEvent, CaseStatus, EscalationLevel
from integrity.models import IntegrityFlag
from workflows.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def history(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", scale="small", no_progress=True)


def test_the_small_demo_has_90_days_of_history(history):
    today = timezone.localdate()
    first = timezone.localdate(Case.objects.aggregate(first=Min("created_at"))["first"])
    assert (today - first).days >= 85
    # the SLA scanner's own marks, made at the simulated times
    assert Notification.objects.filter(kind=NotificationKind.OVERDUE).count() >= 20
    assert Notification.objects.filter(kind=NotificationKind.ESCALATION).exists()
    assert Case.objects.filter(escalation_level=EscalationLevel.RED, status="dispatched").exists()
    assert Case.objects.filter(overdue=True, status__in=("dispatched", "handling")).count() >= 5
    # returns, and a case the district must assign after two
    assert CaseEvent.objects.filter(action="return").count() >= 4
    assert Case.objects.filter(status=CaseStatus.ACCEPTED, return_count__gte=2).exists()
    assert Case.objects.filter(binding=True, status=CaseStatus.CLOSED).exists()
    # suspensions: waiting for their review date, one past it (escalated), one resumed
    suspended = Case.objects.filter(status=CaseStatus.SUSPENDED)
    assert suspended.filter(review_at__gt=timezone.now()).exists()
    assert suspended.filter(review_at__lt=timezone.now(), overdue=True).exists()
    assert CaseEvent.objects.filter(action="resume").exists()
    # reworks, residents' ratings and callbacks (≥ 5 in one department: 满意率 shows)
    assert CaseEvent.objects.filter(action="verify_fail").count() >= 5
    rated = Satisfaction.objects.filter(score__isnull=False)
    assert rated.filter(channel=Satisfaction.Channel.PHONE).exists()
    per_department = rated.values("case__department").annotate(n=Count("id"))
    assert max(row["n"] for row in per_department) >= 5
    # the days rolled up, flags already found
    assert RolledDay.objects.filter(day__lte=today - timedelta(days=89)).exists()
    assert RolledDay.objects.filter(day__gte=today - timedelta(days=1)).exists()
    assert CellRollup.objects.values("start").distinct().count() >= 90
    rules = set(IntegrityFlag.objects.values_list("rule", flat=True))
    assert {"reused_photo", "verification_too_fast"} <= rules, rules


def test_demo_photos_are_phone_sized_and_distinct(history):
    photos = list(Attachment.objects.exclude(width=None)[:40])
    assert len(photos) == 40
    for photo in photos:
        assert photo.width >= 1000 and photo.file.size >= 100_000, photo.pk
    sizes = {p.file.size for p in photos}
    assert len(sizes) > 30  # not one picture copied


def grades(client, level: str) -> dict[str, str]:
    end = timezone.localdate()
    response = client.get(
        "/api/v1/indicators/",
        {"level": level, "start": end - timedelta(days=29), "end": end},
    )
    assert response.status_code == 200
    return {row["name"]: row["grade"] for row in response.json()["results"]}


def test_the_dashboard_shows_every_grade_and_the_overdue_board(
    history, client, django_assert_max_num_queries
):
    admin = get_user_model().objects.get(username="demo_admin")
    client.force_login(admin)
    by_department = grades(client, "department")
    assert {"A", "B", "C", "D", "E"} <= set(by_department.values()), by_department
    with django_assert_max_num_queries(30):
        assert client.get(reverse("dashboard")).status_code == 200
    end = timezone.localdate()
    trend = client.get(
        "/api/v1/indicators/trend/",
        {"bucket": "day", "start": end - timedelta(days=60), "end": end},
    ).json()
    assert sum(1 for point in trend["results"] if point["counts"]["filed"]) >= 40
    with django_assert_max_num_queries(40):
        board = client.get(reverse("queue"), {"tab": "overdue"})
    assert board.status_code == 200 and board.context["waiting"] >= 5
    binding = client.get(reverse("queue"), {"tab": "binding"})
    assert len(binding.context["cases"]) >= 1
