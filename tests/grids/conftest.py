"""Grids fixtures: the case personas and token clients, for the access gate's tests."""

from __future__ import annotations

from ..api.conftest import client_for  # noqa: F401  (fixtures are found by name)
from ..cases.personas import (  # noqa: F401
    _media_in_tmp,
    _no_cross_check,
    as_user,
    cast,
    worker_a2,
)
