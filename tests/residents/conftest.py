"""One resident in each cell of the persona territory (see tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from residents.models import Resident
from residents.services import create_household, create_resident

from ..cases.personas import _media_in_tmp, as_user, cast, worker_a2  # noqa: F401  (fixtures)
from ..factories import make_id_number

# The example from DESIGN §3, and its masked form (the check digit hidden too: see
# residents.masking.mask_id_number).
ID_A, ID_A_MASKED = "11010519491231002X", "110105********002*"
PHONE_A, PHONE_A_MASKED = "13912345678", "139****5678"


@dataclass
class People:
    a: Resident  # cell A, street 1
    b: Resident  # cell B, street 1 (same community as A)
    x: Resident  # cell X, street 2


@pytest.fixture
def people(territory) -> People:
    def resident(cell, name, id_number, phone):
        household = create_household(cell=cell, address=f"{cell.name}区1号楼")
        return create_resident(
            household=household, name=name, gender="F", id_number=id_number, phone=phone
        )

    return People(
        a=resident(territory.cell_a, "王芳", ID_A, PHONE_A),
        b=resident(
            territory.cell_b, "李娜", make_id_number(birth=date(1985, 3, 8), seq=22), "13800001111"
        ),
        x=resident(
            territory.cell_x, "张敏", make_id_number(birth=date(2015, 6, 1), seq=44), "010-65529988"
        ),
    )


@pytest.fixture
def admin_as(db):
    """``admin_as(user)``: a test client signed in as ``user`` made staff with every
    permission on the residents app (what a district would grant its resident desk), so
    what they see is decided by the residents' scope rules alone."""

    def login(user) -> Client:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="residents"))
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return login
