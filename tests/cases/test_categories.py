"""Categories: the standard set from the data migration, code validation, time limits."""

from __future__ import annotations

from decimal import Decimal
from importlib import import_module

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from cases.models import Category, CategoryFamily, LimitUnit, Priority
from cases.selectors import category_choices

pytestmark = pytest.mark.django_db


def _major(code: str) -> Category:
    return Category.objects.get(code=code)


def _sub(**overrides) -> Category:
    """An unsaved, valid sub-category under C01 公用设施 (code C0199)."""
    fields = {
        "family": "C",
        "code": "C0199",
        "name": "测试部件",
        "parent": _major("C01"),
        "default_priority": Priority.NORMAL,
        "accept_limit": Decimal(2),
        "dispatch_limit": Decimal(1),
        "handle_limit": Decimal(8),
        "verify_limit": Decimal(4),
        "limit_unit": LimitUnit.WORKING_HOURS,
        "urgent_limit_hours": Decimal(2),
    }
    return Category(**{**fields, **overrides})


def _messages(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(exc.value.message_dict[field])


class TestStandardSet:
    def test_major_classes_of_the_three_families(self):
        majors = dict(Category.objects.major_classes().values_list("code", "name"))
        assert majors["C01"] == "公用设施"
        assert majors["C06"] == "其他设施"
        assert majors["E04"] == "街面秩序"
        assert majors["E05"] == "突发事件"
        assert majors["S01"] == "养老"
        assert majors["S08"] == "矛盾纠纷调解"
        assert majors["S09"] == "安全隐患"
        assert len(majors) == 21

    def test_at_least_40_subcategories_spread_over_families(self):
        subs = Category.objects.subcategories()
        assert subs.count() >= 40
        for family in CategoryFamily.values:
            assert subs.filter(family=family).count() >= 10, family
        # Every public-service class has something to file under.
        for major in Category.objects.major_classes().filter(family=CategoryFamily.SERVICE):
            assert major.children.exists(), major
        service = Category.objects.get(code="S0101")
        assert service.name == "独居老人关爱"
        assert service.is_service
        assert not Category.objects.get(code="E0101").is_service

    def test_every_subcategory_is_complete_and_valid(self):
        for sub in Category.objects.subcategories().select_related("parent"):
            assert sub.parent.parent_id is None, sub
            assert sub.code[:3] == sub.parent.code and sub.family == sub.parent.family, sub
            for step in ("accept", "dispatch", "handle", "verify"):
                amount, unit = sub.limit_for(step, Priority.NORMAL)
                assert amount > 0 and unit in (LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS)
            assert sub.urgent_limit_hours > 0
            assert sub.acceptance_condition and sub.closing_condition, sub
            sub.full_clean()  # the seed obeys the same rules as the admin

    def test_urgent_emergencies_and_routing_kinds(self):
        gas = Category.objects.get(code="E0502")
        assert gas.name == "燃气泄漏"
        assert gas.default_priority == Priority.URGENT
        assert gas.urgent_limit_hours <= 2
        assert Category.objects.get(code="E0501").default_priority == Priority.URGENT
        kinds = dict(
            Category.objects.subcategories().values_list("code", "default_department_kind")
        )
        assert kinds["E0402"] == "urban_management"  # 占道经营 → 城管
        assert kinds["C0501"] == "housing"  # 危房 → 住建
        assert kinds["S0901"] == "fire"  # 消防通道堵塞 → 消防
        assert kinds["S0101"] == "civil_affairs"  # 独居老人 → 民政
        assert kinds["S0201"] == "health"  # 就医协助 → 卫健
        assert kinds["S0801"] == "residents_committee"  # 邻里纠纷 → 居委会

    def test_major_classes_carry_no_subcategory_fields(self):
        for major in Category.objects.major_classes():
            major.full_clean()
            assert major.default_priority == ""
            assert major.accept_limit is None

    def test_category_choices_lists_active_subcategories_in_one_query(
        self, django_assert_num_queries
    ):
        Category.objects.filter(code="E0601").update(is_active=False)
        Category.objects.filter(code="S08").update(is_active=False)
        with django_assert_num_queries(1):
            rows = [(c.code, c.parent.name) for c in category_choices()]
        codes = [code for code, _ in rows]
        assert codes[0] == "C0101" and ("C0101", "公用设施") in rows
        assert "E0601" not in codes and "S0801" not in codes
        assert {c.family for c in category_choices(family="S")} == {"S"}

    def test_migration_reverses_to_nothing_and_reloads(self):
        # The migration's own functions against its historical models, inside the test's
        # transaction (SQLite cannot run the migration executor inside one).
        node = ("cases", "0002_standard_categories")
        loader = MigrationLoader(connection)
        migration = import_module(loader.get_migration(*node).__module__)
        state_apps = loader.project_state(node).apps
        seeded = set(Category.objects.values_list("code", flat=True))
        migration.unload_categories(state_apps, None)
        assert not Category.objects.exists()
        migration.load_categories(state_apps, None)
        assert set(Category.objects.values_list("code", flat=True)) == seeded


class TestCodeValidation:
    def test_good_codes(self):
        Category(family="E", code="E07", name="新大类").full_clean()
        _sub().full_clean()
        _sub(family="S", code="S0199", parent=_major("S01"), limit_unit="working_days").full_clean()

    @pytest.mark.parametrize("code", ["C1", "C001", "X01", "c01", "C01011", "C01a", "C 01"])
    def test_malformed_code(self, code):
        with pytest.raises(ValidationError) as exc:
            Category(family="C", code=code, name="x").full_clean()
        assert "A category code is a family letter (C, E or S)" in _messages(exc, "code")

    def test_letter_must_match_family(self):
        with pytest.raises(ValidationError) as exc:
            Category(family="E", code="C07", name="x").full_clean()
        assert "code starts with E" in _messages(exc, "code")

    def test_zero_parts_refused(self):
        with pytest.raises(ValidationError) as exc:
            Category(family="C", code="C00", name="x").full_clean()
        assert "from 01 to 99" in _messages(exc, "code")
        with pytest.raises(ValidationError) as exc:
            _sub(code="C0100").full_clean()
        assert "from 01 to 99" in _messages(exc, "code")

    def test_major_class_has_three_characters(self):
        with pytest.raises(ValidationError) as exc:
            Category(family="C", code="C0799", name="x").full_clean()
        assert "A major class has a 3-character code" in _messages(exc, "code")

    def test_subcategory_code_starts_with_parent_code(self):
        with pytest.raises(ValidationError) as exc:
            _sub(code="C0299").full_clean()
        assert "has a code starting with C01" in _messages(exc, "code")
        with pytest.raises(ValidationError) as exc:
            _sub(code="C02").full_clean()
        assert "A sub-category has a 5-character code" in _messages(exc, "code")

    def test_parent_must_be_a_major_class_of_the_family(self):
        with pytest.raises(ValidationError) as exc:
            _sub(parent=Category.objects.get(code="C0101")).full_clean()
        assert "two levels" in _messages(exc, "parent")
        with pytest.raises(ValidationError) as exc:
            _sub(family="C", code="E0199", parent=_major("E01")).full_clean()
        assert "another family" in _messages(exc, "parent")

    def test_duplicate_code_refused(self):
        with pytest.raises(ValidationError) as exc:
            _sub(code="C0101").full_clean()
        assert "code" in exc.value.message_dict

    def test_subcategory_fields_only_on_subcategories(self):
        with pytest.raises(ValidationError) as exc:
            Category(
                family="C",
                code="C07",
                name="x",
                handle_limit=Decimal(8),
                requires_result_photo=True,
            ).full_clean()
        assert "Only sub-categories carry this" in _messages(exc, "handle_limit")
        assert "requires_result_photo" in exc.value.message_dict

    def test_subcategory_needs_limits_and_priority(self):
        with pytest.raises(ValidationError) as exc:
            _sub(handle_limit=None, limit_unit="", default_priority="").full_clean()
        assert {"handle_limit", "limit_unit", "default_priority"} <= set(exc.value.message_dict)

    def test_step_limits_are_not_in_calendar_hours(self):
        with pytest.raises(ValidationError) as exc:
            _sub(limit_unit=LimitUnit.CALENDAR_HOURS).full_clean()
        assert "limit_unit" in exc.value.message_dict


class TestLimitFor:
    def test_normal_priority_uses_the_step_limit_and_unit(self):
        sub = _sub()
        assert sub.limit_for("accept", Priority.NORMAL) == (Decimal(2), "working_hours")
        assert sub.limit_for("dispatch", Priority.LOW) == (Decimal(1), "working_hours")
        assert sub.limit_for("handle", Priority.HIGH) == (Decimal(8), "working_hours")
        assert sub.limit_for("verify", Priority.NORMAL) == (Decimal(4), "working_hours")

    def test_working_days(self):
        elderly = Category.objects.get(code="S0102")
        assert elderly.limit_for("handle", Priority.NORMAL) == (Decimal(5), "working_days")

    def test_urgent_runs_on_calendar_hours(self):
        gas = Category.objects.get(code="E0502")
        for step in ("accept", "dispatch", "handle", "verify"):
            assert gas.limit_for(step, Priority.URGENT) == (Decimal(1), LimitUnit.CALENDAR_HOURS)
        # An ordinary category raised to urgent at acceptance also switches to calendar time.
        lamp = Category.objects.get(code="C0104")
        amount, unit = lamp.limit_for("handle", "urgent")
        assert unit == "calendar_hours" and amount == lamp.urgent_limit_hours

    def test_unknown_step_or_priority_or_major_class(self):
        sub = _sub()
        with pytest.raises(ValueError, match="unknown step"):
            sub.limit_for("close", Priority.NORMAL)
        with pytest.raises(ValueError, match="unknown priority"):
            sub.limit_for("handle", "asap")
        with pytest.raises(ValueError, match="no handle limit"):
            _major("C01").limit_for("handle", Priority.NORMAL)
