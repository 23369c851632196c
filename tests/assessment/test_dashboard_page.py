"""The dashboard page is for street staff and district administrators only."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_dashboard_for_assessors_only(client, street_staff, district_admin, worker_a, handler):
    for user, status in (
        (district_admin, 200),
        (street_staff, 200),
        (worker_a, 403),
        (handler, 403),
    ):
        client.force_login(user)
        assert client.get(reverse("dashboard")).status_code == status, user
    client.logout()
    assert client.get(reverse("dashboard")).status_code == 302


def test_admin_home_is_the_dashboard(client, district_admin):
    client.force_login(district_admin)
    assert client.get("/")["Location"] == reverse("dashboard")
