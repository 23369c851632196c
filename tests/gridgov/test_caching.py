"""Process caches: a value is kept, reloaded when stale, unusable or invalidated."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from cases.models import Category
from cases.selectors import fileable_category
from gridgov.caching import ProcessCache


def counting_cache(*, seconds: float) -> tuple[ProcessCache[int], list[int]]:
    loads: list[int] = []

    def load() -> int:
        loads.append(len(loads) + 1)
        return loads[-1]

    return ProcessCache(load, seconds=seconds), loads


def test_a_fresh_value_is_kept_until_invalidated():
    cache, loads = counting_cache(seconds=3600)
    assert [cache.get(), cache.get()] == [1, 1]
    cache.invalidate()
    assert cache.get() == 2
    assert loads == [1, 2]


def test_a_stale_value_is_loaded_again():
    cache, _loads = counting_cache(seconds=0)
    assert [cache.get(), cache.get()] == [1, 2]


def test_a_value_the_caller_cannot_use_is_replaced_by_its_own_load():
    cache, _loads = counting_cache(seconds=3600)
    assert cache.get() == 1
    assert cache.get(load=lambda: 10, usable=lambda value: value >= 5) == 10
    assert cache.get() == 10  # kept from then on


@pytest.mark.django_db
def test_fileable_categories_come_from_the_process_copy(django_assert_num_queries):
    code = Category.objects.fileable().values_list("code", flat=True).first()
    fileable_category(code)  # load the copy
    with django_assert_num_queries(0):
        assert fileable_category(code).code == code
        assert fileable_category("X9999") is None


@pytest.mark.django_db
def test_a_category_switched_off_here_is_refused_at_once():
    category = Category.objects.fileable().first()
    assert fileable_category(category.code) == category
    category.is_active = False
    category.save()
    assert fileable_category(category.code) is None
    category.parent.is_active = False  # a sub-category of a switched-off major class
    category.parent.save()
    category.is_active = True
    category.save(update_fields=["is_active"])
    assert fileable_category(category.code) is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_copy_reloaded_before_the_edit_commits_is_dropped_at_the_commit():
    category = Category.objects.fileable().first()
    with transaction.atomic():
        category.is_active = False
        category.save()

        def another_request() -> None:  # reads the committed rows: still active
            try:
                assert fileable_category(category.code) is not None
            finally:
                connections.close_all()

        thread = threading.Thread(target=another_request)
        thread.start()
        thread.join()
    assert fileable_category(category.code) is None
