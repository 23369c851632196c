"""The demo's functional worker (demo/functional.py) over the small demo territory, without
the 90 days of history (tests/grids/test_seed_demo.py runs the whole seed)."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth import get_user_model

from cases.demo import create_routing_rules
from cases.models import Case
from cases.today import Kind, task_list
from demo.functional import create_functional_work
from grids import demo

pytestmark = pytest.mark.django_db


def test_demo_functional_gets_service_cases_by_specialty(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rng = random.Random(2020)
    territory = demo.create_territory(demo.SCALES["small"], rng)
    departments = demo.create_departments(territory.district)
    demo.create_people(territory, departments, rng)
    create_routing_rules(territory.district)
    assert create_functional_work(territory.cells[0], rng) == 4
    worker = get_user_model().objects.get(username="demo_functional")
    kinds = [t.kind for t in task_list(worker)]
    assert kinds.count(Kind.SERVICE) == 2 and kinds.count(Kind.VERIFY) == 1
    in_hand = Case.objects.filter(handler=worker, department__isnull=True)
    assert sorted(c.status for c in in_hand) == ["dispatched", "handling"]
