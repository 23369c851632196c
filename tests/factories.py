"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from grids.models import Assignment, Community, Department, District, GridCell, Role, Street

BASE_LON, BASE_LAT = 116.40, 39.90
STEP = 0.01  # ~850 m east-west, ~1.1 km north-south at Beijing's latitude


def box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict:
    """A rectangle as a GeoJSON polygon (counter-clockwise, closed)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [min_lon, min_lat],
                [max_lon, min_lat],
                [max_lon, max_lat],
                [min_lon, max_lat],
                [min_lon, min_lat],
            ]
        ],
    }


def grid_box(col: int, row: int, width: int = 1, height: int = 1) -> dict:
    """A rectangle on the test lattice: columns and rows of STEP degrees from the base."""
    return box(
        BASE_LON + col * STEP,
        BASE_LAT + row * STEP,
        BASE_LON + (col + width) * STEP,
        BASE_LAT + (row + height) * STEP,
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = "110105"
    name = "朝阳区"
    geometry = None


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"{n % 999 + 1:03d}")
    name = factory.Sequence(lambda n: f"测试街道{n}")
    geometry = None


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    code = factory.Sequence(lambda n: f"{n % 999 + 1:03d}")
    name = factory.Sequence(lambda n: f"测试社区{n}")
    geometry = factory.LazyFunction(lambda: grid_box(0, 0))


class GridCellFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridCell

    community = factory.SubFactory(CommunityFactory)
    code = factory.Sequence(lambda n: f"{n % 999 + 1:03d}")
    name = factory.Sequence(lambda n: f"第{n}网格")
    geometry = factory.LazyAttribute(lambda o: o.community.geometry)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"测试部门{n}")
    kind = "urban_management"
    district = factory.SubFactory(DistrictFactory)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    user = factory.SubFactory(UserFactory)
    role = Role.GRID_WORKER
    scope = "cell"


def assigned_user(role: str, scope: str, target, username: str, **extra):
    """A user with one active assignment: ``role`` at ``target`` (a district/street/...)."""
    user = UserFactory(username=username)
    AssignmentFactory(user=user, role=role, scope=scope, **{scope: target}, **extra)
    return user


# --- residents --------------------------------------------------------------------------------
# Imported here rather than at the top so this section can be appended without touching the rest.
from datetime import date, timedelta  # noqa: E402

from stdnum.cn import ric  # noqa: E402

from residents.models import Household, Resident  # noqa: E402


def make_id_number(region: str = "110105", birth: date = date(1980, 1, 1), seq: int = 1) -> str:
    """A valid 18-character ID number (GB 11643 checksum) for ``region``, ``birth``, ``seq``.

    An odd ``seq`` is a man, an even one a woman, as on real cards.
    """
    body = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # calc_check_digit ignores the last char


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    cell = factory.SubFactory(GridCellFactory)
    address = factory.Sequence(lambda n: f"幸福路{n}号")


class ResidentFactory(factory.django.DjangoModelFactory):
    """A resident with a valid, unique ID number and a mobile phone; ``tags=[...]`` adds tags."""

    class Meta:
        model = Resident
        skip_postgeneration_save = True

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"居民{n}")
    birth_date = factory.Sequence(lambda n: date(1950, 1, 1) + timedelta(days=n % 3000 * 7))
    gender = factory.Sequence(lambda n: "M" if n % 2 else "F")
    id_number = factory.LazyAttributeSequence(
        lambda o, n: make_id_number(birth=o.birth_date, seq=n % 500 * 2 + (o.gender == "M"))
    )
    phone = factory.Sequence(lambda n: f"139{n % 10**8:08d}")

    @factory.post_generation
    def tags(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted:
            self.tags.set(extracted)
