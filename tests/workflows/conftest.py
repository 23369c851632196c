"""Case personas and helpers: see tests/cases/personas.py."""

from __future__ import annotations

from ..cases.personas import (  # noqa: F401  (fixtures are found by name)
    _media_in_tmp,
    _no_cross_check,
    as_user,
    cast,
    other_department,
    other_handler,
    staff2,
    worker_a2,
)
