"""A registration that lands between a check and a write: what a second worker (or import)
saving the same ID number at the same moment does. No mock: a real resident is inserted
through Django's own ``execute_wrapper`` hook just before the first INSERT of a resident
that the code under test sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from residents.models import Household, Resident


@contextmanager
def registered_meanwhile(*, household: Household, id_number: str) -> Iterator[None]:
    fired = False

    def wrapper(execute, sql, params, many, context):
        nonlocal fired
        if not fired and sql.lstrip().upper().startswith('INSERT INTO "RESIDENTS_RESIDENT"'):
            fired = True
            Resident(
                household=household,
                name="抢先",
                gender="F",
                birth_date="1950-01-01",
                id_number=id_number,
            ).save()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield
    assert fired, "the code under test registered no resident"
