"""Specialties (专长): one switched off in the admin routes no case and is not offered."""

from __future__ import annotations

import pytest

from cases.models import Category
from cases.specialists import functional_worker_for
from grids.models import Role, Specialty

from ..factories import assigned_user

pytestmark = pytest.mark.django_db


def test_an_inactive_specialty_routes_no_case_to_its_workers(territory):
    elderly_care = Specialty.objects.get(code="elderly_care")
    worker = assigned_user(
        Role.FUNCTIONAL_WORKER, "cell", territory.cell_a, "fw", specialty=elderly_care
    )
    category = Category.objects.get(code="S0101")  # 独居老人关爱 → elderly_care
    assert functional_worker_for(category=category, cell=territory.cell_a) == worker.pk
    Specialty.objects.filter(pk=elderly_care.pk).update(is_active=False)
    assert functional_worker_for(category=category, cell=territory.cell_a) is None


def test_an_inactive_specialty_is_not_offered_to_assignments_nor_categories(client, territory):
    from django.urls import reverse

    from ..factories import UserFactory

    Specialty.objects.filter(code="health").update(is_active=False)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    for model in ("grids_assignment", "cases_category"):
        page = client.get(reverse(f"admin:{model}_add"))
        offered = page.context["adminform"].form.fields["specialty"].queryset
        assert "elderly_care" in {s.code for s in offered}, model
        assert "health" not in {s.code for s in offered}, model
